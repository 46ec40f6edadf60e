"""Make the audit trail append-only at the database level on PostgreSQL: a trigger refuses UPDATE always and
DELETE unless it is the retention purge (`manage.py audit_purge`, which sets xiaoneng.audit_purge for its
transaction) removing rows older than the retention period (never less than six months); the application's
role loses UPDATE and DELETE on the table."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION xiaoneng_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('xiaoneng.audit_purge', true) = 'on'
       AND OLD.at < now() - make_interval(days => GREATEST(183,
               COALESCE(NULLIF(current_setting('xiaoneng.audit_retention_days', true), '')::int, 366))) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit trail is append-only: % refused (审计日志只能追加)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION xiaoneng_audit_refuse_change();
REVOKE UPDATE, DELETE ON core_auditevent FROM CURRENT_USER;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS xiaoneng_audit_refuse_change();
GRANT UPDATE, DELETE ON core_auditevent TO CURRENT_USER;
"""


def _run(schema_editor, sql):
    # Straight to the cursor without parameters, so the '%' of RAISE is not read as a placeholder.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute(sql)


def forward(apps, schema_editor):
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(forward, backward)]
