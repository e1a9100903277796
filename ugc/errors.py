"""Errors that the command line reports as one clear line instead of a traceback.

UgcError                   base: a message meant for a person, already complete
├── SetupError             the machine lacks something (Java, Maven, a free port, a writable dir)
├── BrokerError            the local Kafka broker failed to start, stop or answer
└── WarehouseError         the ClickHouse warehouse cannot be opened
    └── WarehouseBusyError      an embedded chdb directory is held by another process
"""

from __future__ import annotations


class UgcError(Exception):
    """An error whose message is complete enough to print on its own."""


class SetupError(UgcError):
    """Something the machine must provide is missing or unusable."""


class BrokerError(UgcError):
    """The local Kafka broker did not start, stop or answer as expected."""


class WarehouseError(UgcError):
    """The ClickHouse warehouse could not be opened."""


class WarehouseBusyError(WarehouseError):
    """Another process holds the embedded chdb data directory."""
