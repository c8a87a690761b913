using System.Buffers;
using System.Text.Json;

namespace Gateway.Ownership;

/// <summary>
/// Finds every upload and job a job-creating body refers to, wherever it sits: Reducto accepts <c>reducto://</c> and
/// <c>jobid://</c> in <c>input</c>, in lists, in <c>{"file_id": …}</c> objects and in pipeline steps, and new places
/// appear with new routes, so the scan looks at every string rather than at known fields. Values are compared
/// decoded, so an escape (<c>reducto:\/\/</c>, <c>\u0072educto://</c>) cannot hide a reference from the ledger.
/// </summary>
internal static class CreationReferences
{
    private const int StackStringBytes = 256;

    public static ReferenceScan Find(ReadOnlySpan<byte> jsonBody)
    {
        var reader = new Utf8JsonReader(jsonBody, new JsonReaderOptions { MaxDepth = 64 });
        var path = new JsonPathTracker();
        List<DocumentReference>? found = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        path.Property(ref reader);
                        continue;
                    case JsonTokenType.String:
                        if (Classify(ref reader, path.InFileIdProperty) is { } kind)
                        {
                            var raw = reader.GetString()!;
                            var id = kind == ReferenceKind.File ? OwnedIds.File(raw) : OwnedIds.Job(raw);
                            (found ??= []).Add(new DocumentReference(kind, id, path.Describe(jsonBody)));
                        }

                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        path.Enter(reader.TokenType == JsonTokenType.StartArray);
                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.Leave();
                        break;
                }

                path.ValueDone();
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // Truncated, trailing content, too deep, or a string that is not UTF-8: not one JSON document.
            return ReferenceScan.NotJson;
        }

        return found is null ? ReferenceScan.None : new ReferenceScan(true, found);
    }

    private static ReferenceKind? Classify(ref Utf8JsonReader reader, bool isFileId)
    {
        if (!reader.ValueIsEscaped)
        {
            return ReferenceSchemes.Classify(reader.ValueSpan, isFileId);
        }

        // Unescaping never lengthens a value, so the escaped length bounds the buffer.
        var length = reader.ValueSpan.Length;
        byte[]? rented = null;
        var buffer = length <= StackStringBytes ? stackalloc byte[StackStringBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            return ReferenceSchemes.Classify(buffer[..reader.CopyString(buffer)], isFileId);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
