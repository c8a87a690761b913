namespace Gateway.Ownership;

/// <summary>
/// Who owns a running job, as the replica that read it from the upstream found in the ownership ledger: a team, or
/// nobody (<see cref="Team"/> null: unowned). An answer without one (from a replica that could not ask the ledger, or
/// from an older version) has no owner known, and only the request pipeline, which asks the ledger itself, serves it.
/// </summary>
internal readonly record struct OwnedBy(string? Team);
