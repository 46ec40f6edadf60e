// The year grid: a click cycles a day through 放假 (holiday) → 上班 (working) → unmarked; the two hidden inputs
// carry the marked days to the server on save.
(function () {
  const form = document.getElementById("xn-calendar");
  if (!form || form.dataset.editable !== "1") return;
  const hol = form.querySelector("input[name=holidays]");
  const work = form.querySelector("input[name=workdays]");
  const set = (input) => new Set(input.value ? input.value.split(",") : []);
  const holidays = set(hol), workdays = set(work);
  form.addEventListener("click", (event) => {
    const btn = event.target.closest("button.xn-day");
    if (!btn) return;
    const d = btn.dataset.date;
    btn.classList.remove("xn-holiday", "xn-workday");
    if (holidays.has(d)) { holidays.delete(d); workdays.add(d); btn.classList.add("xn-workday"); }
    else if (workdays.has(d)) { workdays.delete(d); }
    else { holidays.add(d); btn.classList.add("xn-holiday"); }
    btn.classList.toggle("xn-weekend", btn.dataset.weekend === "1" && !holidays.has(d) && !workdays.has(d));
    btn.setAttribute("aria-pressed", holidays.has(d) || workdays.has(d) ? "true" : "false");
    hol.value = [...holidays].sort().join(",");
    work.value = [...workdays].sort().join(",");
  });
})();
