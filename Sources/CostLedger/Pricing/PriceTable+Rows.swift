/// The price table flattened into rows, for a tool that prices calls elsewhere (the SQL that
/// `cost-audit sql` prints carries these rows as a `VALUES` table and prices each record as
/// ``PriceTable/quote(provider:model:serviceTier:usage:on:)`` does).
package struct PriceTableRow: Sendable, Hashable {
    /// The table's model name (the name matching resolves a recorded model to).
    package var model: String
    /// The tier the prices are for (`*`: every tier without its own prices).
    package var tier: String
    /// Days since 1970-01-01 (UTC) of the period's first day; `Int64.min` when it has no start.
    package var fromDay: Int64
    /// The band's threshold: it prices calls of more input tokens than this (0: every call).
    package var aboveInputTokens: Int64
    /// Attodollars per token, nil where the class has no price.
    package var input: Int128?
    package var output: Int128?
    package var cachedInput: Int128?
    package var cacheWrite: Int128?
    package var cacheWrite1h: Int128?
}

extension PriceTable {
    /// Every (model, tier, period, band) of the table, models in the table's (sorted) order, periods and bands
    /// ascending.
    package var rows: [PriceTableRow] {
        var rows: [PriceTableRow] = []
        for (index, entry) in entries.enumerated() {
            for tier in entry.tiers.keys.sorted() {
                for period in entry.tiers[tier] ?? [] {
                    for band in period.bands {
                        rows.append(
                            PriceTableRow(
                                model: names[index],
                                tier: tier,
                                fromDay: period.fromDay,
                                aboveInputTokens: band.aboveInputTokens,
                                input: band.rates.input,
                                output: band.rates.output,
                                cachedInput: band.rates.cachedInput,
                                cacheWrite: band.rates.cacheWrite,
                                cacheWrite1h: band.rates.cacheWrite1h
                            )
                        )
                    }
                }
            }
        }
        return rows
    }
}
