-- afterMigrate: Flyway runs this after every successful migrate of a schema (also when nothing was pending),
-- as migrator, with search_path set to that schema. It takes back what the schema's default privileges gave
-- the tenant role on Flyway's history table, so only migrator can change which migrations count as applied.
--
-- Schema-agnostic: the schema is current_schema() and the tenant role has the same name as its schema; the
-- table is Flyway's ${flyway:table} placeholder. Idempotent: REVOKE of a privilege not held is a no-op.
DO $$
DECLARE
    tenant  text := current_schema();
    history text := '${flyway:table}';
BEGIN
    IF tenant IS NULL THEN
        RAISE EXCEPTION 'afterMigrate: no current schema; run Flyway with -schemas=<the tenant schema>';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = tenant) THEN
        RAISE EXCEPTION 'afterMigrate: schema % has no tenant role of the same name; is it a tenant schema?', tenant;
    END IF;
    IF to_regclass(format('%I.%I', tenant, history)) IS NULL THEN
        RAISE EXCEPTION 'afterMigrate: %.% does not exist', tenant, history;
    END IF;
    EXECUTE format('REVOKE ALL ON TABLE %I.%I FROM PUBLIC, %I', tenant, history, tenant);
END
$$;
