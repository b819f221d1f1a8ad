// What keeps it safe: an audit's row reader (``AttributedAudit/rowReader()``) is never changed once made. Its
// rows (``RecordStore``, whose buffers the store's parts own) and its shared buffers (class, window and filled
// values per row) were written by the audit's workers, which had all returned before the reader was made; from
// then on they are only read, so threads may share the reader.

extension AuditRowReader: @unchecked Sendable {}
