using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Gateway.OpenApi.Schemas;

/// <summary>
/// The <c>result</c> of a job. Parse results are described in full; the other kinds come back through the same
/// endpoint but are only sketched (OpenJobResults.cs), since the gateway passes them through unread.
/// </summary>
[Description("A job result, discriminated by response_type.")]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "response_type")]
[JsonDerivedType(typeof(ParseResponse), "parse")]
[JsonDerivedType(typeof(ExtractResponse), "extract")]
[JsonDerivedType(typeof(V3ExtractResponse), "v3_extract")]
[JsonDerivedType(typeof(SplitResponse), "split")]
[JsonDerivedType(typeof(EditResponse), "edit")]
[JsonDerivedType(typeof(PipelineResponse), "pipeline")]
[JsonDerivedType(typeof(ClassifyResponse), "classify")]
[JsonDerivedType(typeof(ChartResponse), "chart")]
internal abstract record JobResult;
