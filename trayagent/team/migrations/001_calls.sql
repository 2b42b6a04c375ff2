-- The calls table: one row per call, exactly the fields an agent is told leave the PC (README,
-- "Privacy"). Every column is checked, so a damaged or hostile client cannot store anything else.
CREATE TABLE trayagent.settings (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- a cell of a report view with fewer distinct agents than this is left out (absent, not zero)
    min_group integer NOT NULL DEFAULT 5 CHECK (min_group >= 5),
    -- rows kept per pseudonym and day (UTC); more are dropped: one PC cannot flood the reports
    daily_cap integer NOT NULL DEFAULT 200 CHECK (daily_cap BETWEEN 1 AND 10000),
    -- the centre's time zone: days, hours and weeks in the views are its local ones
    time_zone text NOT NULL DEFAULT 'UTC' CHECK (now() AT TIME ZONE time_zone IS NOT NULL)
);
INSERT INTO trayagent.settings DEFAULT VALUES;

CREATE TABLE trayagent.calls (
    call_id uuid NOT NULL,  -- random, made for this row: not the PC's own call id
    team text NOT NULL CHECK (char_length(team) BETWEEN 1 AND 64 AND team !~ '[[:cntrl:]]'),
    pseudonym text NOT NULL CHECK (pseudonym ~ '^[0-9a-f]{64}$'),  -- HMAC of a key on the PC and the ISO week
    start_slot timestamptz NOT NULL
        CHECK (extract(epoch FROM start_slot)::bigint % 900 = 0 AND start_slot >= '2020-01-01'),
    duration_s integer NOT NULL CHECK (duration_s BETWEEN 1 AND 86400),
    calm_s integer NOT NULL CHECK (calm_s >= 0),
    elevated_s integer NOT NULL CHECK (elevated_s >= 0),
    alert_s integer NOT NULL CHECK (alert_s >= 0),
    unmeasured_s integer NOT NULL CHECK (unmeasured_s >= 0),  -- never counted as calm
    end_band text CHECK (end_band IN ('calm', 'elevated', 'alert')),  -- NULL: the call was not measured
    calibrated boolean NOT NULL,
    CHECK (calm_s + elevated_s + alert_s + unmeasured_s = duration_s),
    CHECK (end_band IS NOT NULL OR calm_s + elevated_s + alert_s = 0),
    PRIMARY KEY (call_id, start_slot)
) PARTITION BY RANGE (start_slot);

-- Monthly partitions (trayagent.add_partitions, run by every `team setup`); rows outside them land
-- here. Retention is dropping a month's partition: DROP TABLE trayagent.calls_2026_01.
CREATE TABLE trayagent.calls_default PARTITION OF trayagent.calls DEFAULT;
CREATE INDEX calls_pseudonym_start ON trayagent.calls (pseudonym, start_slot);
CREATE INDEX calls_team_start ON trayagent.calls (team, start_slot);

CREATE FUNCTION trayagent.add_partitions(months_back integer, months_ahead integer) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, trayagent AS $$
DECLARE
    m date;
    made integer := 0;
    name text;
BEGIN
    FOR i IN -months_back .. months_ahead LOOP
        m := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date;
        name := format('calls_%s', to_char(m, 'YYYY_MM'));
        CONTINUE WHEN to_regclass(format('trayagent.%I', name)) IS NOT NULL;
        -- a month whose rows already sit in the default partition is left there
        CONTINUE WHEN EXISTS (SELECT 1 FROM trayagent.calls_default
                              WHERE start_slot >= (m::timestamp AT TIME ZONE 'UTC')
                                AND start_slot < ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
        EXECUTE format('CREATE TABLE trayagent.%I PARTITION OF trayagent.calls FOR VALUES FROM (%L) TO (%L)',
                       name, m::timestamp AT TIME ZONE 'UTC', (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        made := made + 1;
    END LOOP;
    RETURN made;
END $$;
REVOKE ALL ON FUNCTION trayagent.add_partitions(integer, integer) FROM PUBLIC;

-- The daily cap, checked as the owner: the agent role itself may not read the table.
CREATE FUNCTION trayagent.keep_under_cap() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, trayagent AS $$
DECLARE
    day_start timestamptz := date_trunc('day', NEW.start_slot AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    IF (SELECT count(*) FROM trayagent.calls c
        WHERE c.pseudonym = NEW.pseudonym AND c.start_slot >= day_start
          AND c.start_slot < day_start + interval '1 day') >= (SELECT daily_cap FROM trayagent.settings) THEN
        RETURN NULL;  -- dropped without an error: the PC would only send it again
    END IF;
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION trayagent.keep_under_cap() FROM PUBLIC;
CREATE TRIGGER keep_under_cap BEFORE INSERT ON trayagent.calls
    FOR EACH ROW EXECUTE FUNCTION trayagent.keep_under_cap();

-- `trayagent team leave --forget`: the PC's pseudonyms, which every view leaves out from then on.
CREATE TABLE trayagent.withdrawals (
    pseudonym text PRIMARY KEY CHECK (pseudonym ~ '^[0-9a-f]{64}$'),
    withdrawn_on date NOT NULL DEFAULT current_date
);

REVOKE ALL ON SCHEMA trayagent FROM PUBLIC;
GRANT USAGE ON SCHEMA trayagent TO trayagent_agent, trayagent_report;
-- INSERT only: no SELECT, UPDATE or DELETE, so a PC cannot read or change what anyone sent.
GRANT INSERT ON trayagent.calls, trayagent.withdrawals TO trayagent_agent;
