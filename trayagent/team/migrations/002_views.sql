-- The report views: the only thing the report role may read. Each leaves out withdrawn pseudonyms
-- and every cell with fewer than settings.min_group distinct agents, here in the database, so no
-- BI tool or report can bypass it. Days, hours and weeks are in settings.time_zone.
CREATE VIEW trayagent.kept_calls AS  -- not granted to anyone: the views' common ground
SELECT c.*, c.start_slot AT TIME ZONE s.time_zone AS local_start
FROM trayagent.calls c CROSS JOIN trayagent.settings s
WHERE NOT EXISTS (SELECT 1 FROM trayagent.withdrawals w WHERE w.pseudonym = c.pseudonym);

CREATE VIEW trayagent.team_hour AS
SELECT team,
       local_start::date AS day,
       extract(hour FROM local_start)::integer AS hour,
       count(DISTINCT pseudonym) AS agents,
       count(*) AS calls,
       round(sum(duration_s) / 3600.0, 4) AS call_hours,
       round(sum(calm_s)::numeric / sum(duration_s), 4) AS calm_share,
       round(sum(elevated_s)::numeric / sum(duration_s), 4) AS elevated_share,
       round(sum(alert_s)::numeric / sum(duration_s), 4) AS alert_share,
       round(sum(unmeasured_s)::numeric / sum(duration_s), 4) AS unmeasured_share,
       count(*) FILTER (WHERE end_band = 'alert') AS alert_end_calls
FROM trayagent.kept_calls
GROUP BY team, local_start::date, extract(hour FROM local_start)
HAVING count(DISTINCT pseudonym) >= (SELECT min_group FROM trayagent.settings);

CREATE VIEW trayagent.team_week AS
SELECT team,
       date_trunc('week', local_start)::date AS week_start,
       to_char(local_start, 'IYYY-"W"IW') AS iso_week,
       count(DISTINCT pseudonym) AS agents,
       count(*) AS calls,
       round(sum(duration_s) / 3600.0, 4) AS call_hours,
       round(sum(calm_s)::numeric / sum(duration_s), 4) AS calm_share,
       round(sum(elevated_s)::numeric / sum(duration_s), 4) AS elevated_share,
       round(sum(alert_s)::numeric / sum(duration_s), 4) AS alert_share,
       round(sum(unmeasured_s)::numeric / sum(duration_s), 4) AS unmeasured_share,
       count(*) FILTER (WHERE end_band = 'alert') AS alert_end_calls
FROM trayagent.kept_calls
GROUP BY team, date_trunc('week', local_start), to_char(local_start, 'IYYY-"W"IW')
HAVING count(DISTINCT pseudonym) >= (SELECT min_group FROM trayagent.settings);

GRANT SELECT ON trayagent.team_hour, trayagent.team_week TO trayagent_report;
