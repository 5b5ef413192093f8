"""Repositories, one module per aggregate: Core statements over one connection, reached as
`uow.<name>` from storage.uow. They never commit; the unit of work does."""
