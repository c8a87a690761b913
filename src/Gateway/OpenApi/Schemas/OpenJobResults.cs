using System.ComponentModel;

namespace Gateway.OpenApi.Schemas;

// Result kinds the gateway documents only by their discriminator: every field passes through unread, so a full
// description would only drift from Reducto's own reference.

[Description("Result of an extract job. Open object: see Reducto's API reference for its fields.")]
internal sealed record ExtractResponse : JobResult;

[Description("Result of a v3 extract job. Open object: see Reducto's API reference for its fields.")]
internal sealed record V3ExtractResponse : JobResult;

[Description("Result of a split job. Open object: see Reducto's API reference for its fields.")]
internal sealed record SplitResponse : JobResult;

[Description("Result of an edit job; document_url is presigned and expires. Open object: see Reducto's API reference for its fields.")]
internal sealed record EditResponse : JobResult;

[Description("Result of a pipeline job. Open object: see Reducto's API reference for its fields.")]
internal sealed record PipelineResponse : JobResult;

[Description("Result of a classify job. Open object: see Reducto's API reference for its fields.")]
internal sealed record ClassifyResponse : JobResult;

[Description("Result of a chart job. Open object: see Reducto's API reference for its fields.")]
internal sealed record ChartResponse : JobResult;
