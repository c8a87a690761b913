namespace Gateway.Ownership;

internal enum ReferenceKind
{
    /// <summary>An upload: <c>reducto://&lt;id&gt;</c> or the value of a <c>file_id</c> property.</summary>
    File,

    /// <summary>An earlier job whose result is reused: <c>jobid://&lt;id&gt;</c>.</summary>
    Job,
}

/// <param name="Id">Normalised as <see cref="OwnedIds"/> keys the ledger.</param>
/// <param name="Path">Where in the body it was found (<c>input[1].file_id</c>), so a refusal can name the field.</param>
internal sealed record DocumentReference(ReferenceKind Kind, string Id, string Path);

/// <summary>What a job-creating body refers to; <see cref="IsJson"/> false when the body is not one JSON document.</summary>
internal sealed record ReferenceScan(bool IsJson, IReadOnlyList<DocumentReference> References)
{
    public static ReferenceScan NotJson { get; } = new(false, []);

    public static ReferenceScan None { get; } = new(true, []);
}
