"""The team view (README, "For IT: the team view"): one anonymous summary row per call, sent to the
centre's own PostgreSQL once IT's policy enables it and the agent opts in; the server's schema,
roles and report views; the managers' report. Nothing here runs, or opens a socket, unless IT's
policy turns it on."""
