-- The report views over a range of days without reading every row kept: team_hour_between and
-- team_week_between take the range and turn it into one on start_slot, so PostgreSQL reads only
-- the months' partitions (and index ranges) it needs. The views become these over all time: one
-- definition of each figure, and the minimum group and withdrawals hold in both. The time zone is
-- read once per query (a scalar subquery), not joined to every row.
CREATE OR REPLACE VIEW trayagent.kept_calls AS
SELECT c.*, c.start_slot AT TIME ZONE (SELECT time_zone FROM trayagent.settings) AS local_start
FROM trayagent.calls c
WHERE NOT EXISTS (SELECT 1 FROM trayagent.withdrawals w WHERE w.pseudonym = c.pseudonym);

CREATE FUNCTION trayagent.team_hour_between(first_day date, last_day date)
RETURNS TABLE (team text, day date, hour integer, agents bigint, calls bigint, call_hours numeric,
               calm_share numeric, elevated_share numeric, alert_share numeric, unmeasured_share numeric,
               alert_end_calls bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, trayagent SET work_mem = '64MB' AS $$
    WITH per_agent AS (  -- each agent's calls in a cell first: then the agents are a plain count
        SELECT k.team, k.local_start::date AS day, extract(hour FROM k.local_start)::integer AS hour, k.pseudonym,
               count(*) AS calls, sum(k.duration_s) AS d, sum(k.calm_s) AS calm, sum(k.elevated_s) AS elevated,
               sum(k.alert_s) AS alert, sum(k.unmeasured_s) AS unmeasured,
               count(*) FILTER (WHERE k.end_band = 'alert') AS alert_end
        FROM trayagent.kept_calls k
        WHERE k.start_slot >= (first_day::timestamp AT TIME ZONE (SELECT time_zone FROM trayagent.settings))
          AND k.start_slot < ((last_day + 1)::timestamp AT TIME ZONE (SELECT time_zone FROM trayagent.settings))
        GROUP BY 1, 2, 3, k.pseudonym)
    SELECT team, day, hour,
           count(*), sum(calls)::bigint, round(sum(d) / 3600.0, 4),
           round(sum(calm) / sum(d), 4), round(sum(elevated) / sum(d), 4), round(sum(alert) / sum(d), 4),
           round(sum(unmeasured) / sum(d), 4), sum(alert_end)::bigint
    FROM per_agent
    GROUP BY team, day, hour
    HAVING count(*) >= (SELECT min_group FROM trayagent.settings)
$$;

CREATE FUNCTION trayagent.team_week_between(first_day date, last_day date)
RETURNS TABLE (team text, week_start date, iso_week text, agents bigint, calls bigint, call_hours numeric,
               calm_share numeric, elevated_share numeric, alert_share numeric, unmeasured_share numeric,
               alert_end_calls bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, trayagent SET work_mem = '64MB' AS $$
    -- whole ISO weeks: from the Monday of first_day's week to the Sunday of last_day's
    WITH per_agent AS (  -- each agent's calls in a cell first: then the agents are a plain count
        SELECT k.team, date_trunc('week', k.local_start)::date AS week_start,
               to_char(k.local_start, 'IYYY-"W"IW') AS iso_week, k.pseudonym,
               count(*) AS calls, sum(k.duration_s) AS d, sum(k.calm_s) AS calm, sum(k.elevated_s) AS elevated,
               sum(k.alert_s) AS alert, sum(k.unmeasured_s) AS unmeasured,
               count(*) FILTER (WHERE k.end_band = 'alert') AS alert_end
        FROM trayagent.kept_calls k
        WHERE k.start_slot >= (date_trunc('week', first_day::timestamp)
                               AT TIME ZONE (SELECT time_zone FROM trayagent.settings))
          AND k.start_slot < ((date_trunc('week', last_day::timestamp) + interval '7 days')
                              AT TIME ZONE (SELECT time_zone FROM trayagent.settings))
        GROUP BY 1, 2, 3, k.pseudonym)
    SELECT team, week_start, iso_week,
           count(*), sum(calls)::bigint, round(sum(d) / 3600.0, 4),
           round(sum(calm) / sum(d), 4), round(sum(elevated) / sum(d), 4), round(sum(alert) / sum(d), 4),
           round(sum(unmeasured) / sum(d), 4), sum(alert_end)::bigint
    FROM per_agent
    GROUP BY team, week_start, iso_week
    HAVING count(*) >= (SELECT min_group FROM trayagent.settings)
$$;

CREATE OR REPLACE VIEW trayagent.team_hour AS
SELECT * FROM trayagent.team_hour_between('-infinity', 'infinity');
CREATE OR REPLACE VIEW trayagent.team_week AS
SELECT * FROM trayagent.team_week_between('-infinity', 'infinity');

REVOKE ALL ON FUNCTION trayagent.team_hour_between(date, date), trayagent.team_week_between(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION trayagent.team_hour_between(date, date), trayagent.team_week_between(date, date)
    TO trayagent_report;
