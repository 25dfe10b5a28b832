"""The alliance's default commission rule (5 %), and confirmed statements made immutable
below the API by PostgreSQL triggers:

- a statement is born a draft; its status only moves draft -> confirmed -> paid; a draft is
  confirmed only when its totals are the sums of its lines; once confirmed, its period,
  village, number, totals and confirmation never change, only paid_amount (always the sum of
  its payouts, never less than before) and paid_at, and it becomes paid only when paid_amount
  equals net_payable; a paid statement never changes; a non-draft statement is never deleted;
- the lines of a non-draft statement are never inserted, updated or deleted (statement-level
  triggers over transition tables, so a 100,000-line insert is checked with one query; the
  statements concerned are locked FOR SHARE so that a confirmation waits for the insert);
- payouts are never updated or deleted, are recorded for confirmed statements only, and
  never bring the payouts of a statement above its net payable (the statement row is locked).

Every refusal raises SQLSTATE 23000 (integrity_constraint_violation, Django IntegrityError)
with a message starting "settlement:". A maintenance job (the demo reset) may bypass all of
this for its own transaction only, and must say so: SET LOCAL alliance.settlement_maintenance
= 'on'.
"""

from decimal import Decimal

from django.db import migrations

DEFAULT_RATE = Decimal("0.0500")

TRIGGERS = r"""
CREATE OR REPLACE FUNCTION settlement_maintenance() RETURNS boolean AS $$
    SELECT coalesce(current_setting('alliance.settlement_maintenance', true), '') = 'on'
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION settlement_statement_guard() RETURNS trigger AS $$
DECLARE
    sums record;
    payouts numeric;
BEGIN
    IF settlement_maintenance() THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'settlement: statement % must be created as a draft, not %',
                NEW.number, NEW.status USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'settlement: statement % is %: it cannot be deleted',
                OLD.number, OLD.status USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;

    -- UPDATE
    IF OLD.status = 'draft' THEN
        IF NEW.status = 'draft' THEN
            RETURN NEW;
        END IF;
        IF NEW.status <> 'confirmed' THEN
            RAISE EXCEPTION 'settlement: statement % goes from draft to confirmed, not to %',
                OLD.number, NEW.status USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        SELECT count(*) AS line_count,
               coalesce(sum(weight_g), 0) AS weight_g,
               coalesce(sum(gross) FILTER (WHERE kind = 'sale'), 0) AS gross,
               coalesce(-sum(gross) FILTER (WHERE kind = 'refund'), 0) AS refunds,
               coalesce(sum(commission), 0) AS commission
          INTO sums
          FROM settlement_statementline WHERE statement_id = NEW.id;
        IF (NEW.line_count, NEW.weight_g, NEW.gross, NEW.refunds, NEW.commission)
           IS DISTINCT FROM
           (sums.line_count::int, sums.weight_g::bigint, sums.gross, sums.refunds, sums.commission)
        THEN
            RAISE EXCEPTION 'settlement: statement % cannot be confirmed: its totals are not the sums of its lines',
                OLD.number USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.paid_amount <> 0 THEN
            RAISE EXCEPTION 'settlement: statement % cannot be confirmed with payments recorded',
                OLD.number USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;

    IF (NEW.period_id, NEW.village_id, NEW.number, NEW.line_count, NEW.weight_g, NEW.gross,
        NEW.refunds, NEW.commission, NEW.net_payable, NEW.generated_at, NEW.confirmed_at,
        NEW.confirmed_by_id, NEW.created_at)
       IS DISTINCT FROM
       (OLD.period_id, OLD.village_id, OLD.number, OLD.line_count, OLD.weight_g, OLD.gross,
        OLD.refunds, OLD.commission, OLD.net_payable, OLD.generated_at, OLD.confirmed_at,
        OLD.confirmed_by_id, OLD.created_at)
    THEN
        RAISE EXCEPTION 'settlement: statement % is %: its period, village, number, totals and confirmation cannot change',
            OLD.number, OLD.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;

    IF OLD.status = 'paid' THEN
        IF NEW.status <> 'paid' OR NEW.paid_amount <> OLD.paid_amount
           OR NEW.paid_at IS DISTINCT FROM OLD.paid_at THEN
            RAISE EXCEPTION 'settlement: statement % is paid: it cannot change',
                OLD.number USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;

    -- confirmed
    IF NEW.status NOT IN ('confirmed', 'paid') THEN
        RAISE EXCEPTION 'settlement: statement % is confirmed: it can only become paid, not %',
            OLD.number, NEW.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.paid_amount < OLD.paid_amount THEN
        RAISE EXCEPTION 'settlement: statement % paid amount cannot go down', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.paid_amount <> OLD.paid_amount THEN
        SELECT coalesce(sum(amount), 0) INTO payouts
          FROM settlement_payout WHERE statement_id = NEW.id;
        IF NEW.paid_amount <> payouts THEN
            RAISE EXCEPTION 'settlement: statement % paid amount % is not the sum of its payouts %',
                OLD.number, NEW.paid_amount, payouts
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF NEW.status = 'paid' AND NEW.paid_amount <> NEW.net_payable THEN
        RAISE EXCEPTION 'settlement: statement % is paid only when its payouts (%) equal its net payable (%)',
            OLD.number, NEW.paid_amount, NEW.net_payable
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER settlement_statement_guard
BEFORE INSERT OR UPDATE OR DELETE ON settlement_statement
FOR EACH ROW EXECUTE FUNCTION settlement_statement_guard();

CREATE OR REPLACE FUNCTION settlement_lines_inserted() RETURNS trigger AS $$
DECLARE
    frozen text;
BEGIN
    IF settlement_maintenance() THEN RETURN NULL; END IF;
    SELECT string_agg(x.number || ' (' || x.status || ')', ', ') INTO frozen
      FROM (SELECT s.number, s.status FROM settlement_statement s
             WHERE s.id IN (SELECT DISTINCT statement_id FROM new_rows)
             ORDER BY s.id FOR SHARE) x
     WHERE x.status <> 'draft';
    IF frozen IS NOT NULL THEN
        RAISE EXCEPTION 'settlement: statement % is not a draft: no line can be added to it',
            frozen USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION settlement_lines_updated() RETURNS trigger AS $$
DECLARE
    frozen text;
BEGIN
    IF settlement_maintenance() THEN RETURN NULL; END IF;
    SELECT string_agg(x.number || ' (' || x.status || ')', ', ') INTO frozen
      FROM (SELECT s.number, s.status FROM settlement_statement s
             WHERE s.id IN (SELECT statement_id FROM new_rows
                            UNION SELECT statement_id FROM old_rows)
             ORDER BY s.id FOR SHARE) x
     WHERE x.status <> 'draft';
    IF frozen IS NOT NULL THEN
        RAISE EXCEPTION 'settlement: statement % is not a draft: its lines cannot change',
            frozen USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION settlement_lines_deleted() RETURNS trigger AS $$
DECLARE
    frozen text;
BEGIN
    IF settlement_maintenance() THEN RETURN NULL; END IF;
    SELECT string_agg(x.number || ' (' || x.status || ')', ', ') INTO frozen
      FROM (SELECT s.number, s.status FROM settlement_statement s
             WHERE s.id IN (SELECT DISTINCT statement_id FROM old_rows)
             ORDER BY s.id FOR SHARE) x
     WHERE x.status <> 'draft';
    IF frozen IS NOT NULL THEN
        RAISE EXCEPTION 'settlement: statement % is not a draft: its lines cannot be deleted',
            frozen USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER settlement_lines_inserted
AFTER INSERT ON settlement_statementline
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION settlement_lines_inserted();

CREATE TRIGGER settlement_lines_updated
AFTER UPDATE ON settlement_statementline
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION settlement_lines_updated();

CREATE TRIGGER settlement_lines_deleted
AFTER DELETE ON settlement_statementline
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION settlement_lines_deleted();

CREATE OR REPLACE FUNCTION settlement_payout_guard() RETURNS trigger AS $$
DECLARE
    st record;
    already numeric;
BEGIN
    IF settlement_maintenance() THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'settlement: payouts are never changed or deleted (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT id, number, status, net_payable INTO st
      FROM settlement_statement WHERE id = NEW.statement_id FOR UPDATE;
    IF st.status IS DISTINCT FROM 'confirmed' THEN
        RAISE EXCEPTION 'settlement: statement % is %: payouts are recorded for confirmed statements only',
            st.number, st.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT coalesce(sum(amount), 0) INTO already
      FROM settlement_payout WHERE statement_id = NEW.statement_id;
    IF already + NEW.amount > st.net_payable THEN
        RAISE EXCEPTION 'settlement: a payout of % would overpay statement % (net payable %, paid %)',
            NEW.amount, st.number, st.net_payable, already
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER settlement_payout_guard
BEFORE INSERT OR UPDATE OR DELETE ON settlement_payout
FOR EACH ROW EXECUTE FUNCTION settlement_payout_guard();
"""

DROP = r"""
DROP TRIGGER IF EXISTS settlement_payout_guard ON settlement_payout;
DROP TRIGGER IF EXISTS settlement_lines_deleted ON settlement_statementline;
DROP TRIGGER IF EXISTS settlement_lines_updated ON settlement_statementline;
DROP TRIGGER IF EXISTS settlement_lines_inserted ON settlement_statementline;
DROP TRIGGER IF EXISTS settlement_statement_guard ON settlement_statement;
DROP FUNCTION IF EXISTS settlement_payout_guard();
DROP FUNCTION IF EXISTS settlement_lines_deleted();
DROP FUNCTION IF EXISTS settlement_lines_updated();
DROP FUNCTION IF EXISTS settlement_lines_inserted();
DROP FUNCTION IF EXISTS settlement_statement_guard();
DROP FUNCTION IF EXISTS settlement_maintenance();
"""


def create_default_rule(apps, schema_editor):
    CommissionRule = apps.get_model("settlement", "CommissionRule")
    CommissionRule.objects.get_or_create(
        village=None,
        category=None,
        defaults={"rate": DEFAULT_RATE, "note": "联盟默认佣金率"},
    )


def delete_default_rule(apps, schema_editor):
    CommissionRule = apps.get_model("settlement", "CommissionRule")
    CommissionRule.objects.filter(village=None, category=None).delete()


class Migration(migrations.Migration):
    dependencies = [("settlement", "0001_initial")]

    operations = [
        migrations.RunPython(create_default_rule, delete_default_rule),
        migrations.RunSQL(TRIGGERS, DROP),
    ]
