namespace Gateway.Ownership;

/// <summary>What a forwarded route does with owned work, from its <c>Metadata:Ownership</c> in the <c>ReverseProxy</c> section.</summary>
internal enum OwnershipRole
{
    /// <summary>Touches no job or file of anyone's (<c>/version</c>).</summary>
    None,

    /// <summary>Creates a job (every <c>*_async</c> route and the synchronous ones): the body's references are checked and the answer's <c>job_id</c> recorded.</summary>
    CreatesJob,

    /// <summary>Creates a file (<c>POST /upload</c>): the answer's <c>file_id</c> is recorded.</summary>
    CreatesFile,

    /// <summary>Acts on the job in its path (<c>{job_id}</c>: cancel, delete): its owner only.</summary>
    ChangesJob,

    /// <summary>Acts on the file in its path (<c>{file_id}</c>: delete): its owner only.</summary>
    ChangesFile,

    /// <summary>Lists jobs (<c>GET /jobs</c>): each page is cut to the caller's own.</summary>
    ListsJobs,

    /// <summary>Acts on the whole account (<c>/configure_webhook</c>): the admin key only.</summary>
    AdminOnly,
}

/// <summary>Endpoint metadata: a forwarded route's <see cref="OwnershipRole"/>.</summary>
internal sealed record OwnershipRoute(OwnershipRole Role)
{
    public const string MetadataKey = "Ownership";

    /// <summary>The configuration names, as routes write them.</summary>
    public static readonly IReadOnlyDictionary<string, OwnershipRole> Names = new Dictionary<string, OwnershipRole>(StringComparer.Ordinal)
    {
        ["none"] = OwnershipRole.None,
        ["creates-job"] = OwnershipRole.CreatesJob,
        ["creates-file"] = OwnershipRole.CreatesFile,
        ["changes-job"] = OwnershipRole.ChangesJob,
        ["changes-file"] = OwnershipRole.ChangesFile,
        ["lists-jobs"] = OwnershipRole.ListsJobs,
        ["admin-only"] = OwnershipRole.AdminOnly,
    };

    public static string Known => string.Join(", ", Names.Keys);
}
