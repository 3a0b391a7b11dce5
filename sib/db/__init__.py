"""PostgreSQL backend that runs application code as its own, restricted login role.

Settings name two logins on one database: the application role's (every connection) and
the schema owner's, used only in owner mode, which `migrate`, `makemigrations`, `flush`
and the test database's set-up turn on (`sib.db.base`). So the insert-only guarantees (no
UPDATE, DELETE or TRUNCATE on ledger tables) hold for the web server, the worker and the
tests alike.
"""
