// The framers are their own target (NIOCore only, so the fuzz targets link nothing else); receivers'
// users see them through Ingest.
@_exported import Framing
