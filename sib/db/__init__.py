"""PostgreSQL backend that runs application code under a restricted database role.

The URL in settings names the schema owner. Every connection switches to the
application role (`SET ROLE`) unless owner mode is on, which only `migrate` and
`flush` turn on. So the insert-only guarantees (no UPDATE, DELETE or TRUNCATE on
ledger tables) hold for the web server, the worker and the tests alike.
"""
