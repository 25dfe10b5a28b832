"""The ledger is append-only below the API too, and every installation has the alliance base
and a collection point for each village that already exists."""

from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION inventory_movement_append_only() RETURNS trigger AS $$
BEGIN
    -- Only a maintenance job (demo reset) may remove rows, and it must say so explicitly:
    -- SET LOCAL alliance.ledger_maintenance = 'on'
    IF current_setting('alliance.ledger_maintenance', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'stock movements are append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER inventory_movement_append_only
BEFORE UPDATE OR DELETE ON inventory_stockmovement
FOR EACH ROW EXECUTE FUNCTION inventory_movement_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS inventory_movement_append_only ON inventory_stockmovement;
DROP FUNCTION IF EXISTS inventory_movement_append_only();
"""

BASE_CODE = "BASE"


def create_warehouses(apps, schema_editor):
    Warehouse = apps.get_model("inventory", "Warehouse")
    Village = apps.get_model("villages", "Village")
    Warehouse.objects.get_or_create(
        code=BASE_CODE,
        defaults={
            "kind": "base",
            "name": "联盟基地（工业园区）",
            "address": "甘泉县工业园区 第一书记联盟基地",
        },
    )
    for village in Village.objects.filter(warehouse__isnull=True):
        Warehouse.objects.create(
            code=f"V{village.code}", kind="village", village=village, name=f"{village.name}集货点"
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial"), ("villages", "0001_initial")]
    operations = [
        migrations.RunSQL(APPEND_ONLY, DROP),
        migrations.RunPython(create_warehouses, migrations.RunPython.noop),
    ]
