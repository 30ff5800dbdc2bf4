"""The event-log floor: the stored event as the read side sees it.

One record type (``eventlog.record.Record``), one decoder built on the ledger's own
transcoding (``eventlog.decoder``), one representation of time and of decimals
(``eventlog.vocabulary``), one JSON rendering of an event (``eventlog.rendering``) and
the store that keeps positions read from the log (``eventlog.store``). Projections,
streams, the transparency log's entries and deliveries stand on it; it imports only
``ledger`` and libraries.
"""
