using System.Net;

namespace Gateway.Tests.StandIn;

/// <summary>
/// <c>DELETE /upload/{file_id}</c>, <c>POST /cancel/{job_id}</c> and <c>DELETE /job/{job_id}</c>: an id of the shape the
/// stand-in hands out (a UUID) that it never handed out is Reducto's 404; built-in and hand-picked names keep
/// their answers.
/// </summary>
public sealed class StandInCancelAndDeleteTests : StandInTest
{
    [Fact]
    public async Task AnUploadedFile_IsDeletedOnce_ThenNotFound()
    {
        using var upload = await PostJsonAsync("/upload", "");
        var fileId = upload.RootElement.GetProperty("file_id").GetString()!;

        using var first = await Client.DeleteAsync("/upload/" + Uri.EscapeDataString(fileId), Cancel);
        using var second = await Client.DeleteAsync("/upload/" + Uri.EscapeDataString(fileId), Cancel);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.Equal("""{"detail":"File not found"}""", await second.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(2, StandIn.Creations.UploadDeletes);
    }

    [Fact]
    public async Task AFileNeverHandedOut_IsNotFound()
    {
        using var response = await Client.DeleteAsync("/upload/" + Uri.EscapeDataString("reducto://" + Guid.NewGuid() + ".pdf"), Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AFileNamedByHand_IsDeletedAsBefore()
    {
        using var response = await Client.DeleteAsync("/upload/reducto%3A%2F%2Fabc", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("POST", "/cancel/")]
    [InlineData("DELETE", "/job/")]
    public async Task AJobNeverCreated_IsNotFound(string method, string path)
    {
        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path + Guid.NewGuid()), Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"detail":"Job not found"}""", await response.Content.ReadAsStringAsync(Cancel));
    }

    [Theory]
    [InlineData("/parse_async")]
    [InlineData("/parse")]
    public async Task ACreatedJob_IsCancelledAndDeleted(string route)
    {
        var id = await CreateAsync(route);

        using var cancelled = await Client.PostAsync("/cancel/" + id, null, Cancel);
        using var deleted = await Client.DeleteAsync("/job/" + id, Cancel);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        Assert.Contains(id, await deleted.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("done-2k")]
    [InlineData("pending-x")]
    [InlineData("some-job")]
    public async Task BuiltInAndHandPickedIds_AreCancelledAndDeletedAsBefore(string id)
    {
        using var cancelled = await Client.PostAsync("/cancel/" + id, null, Cancel);
        using var deleted = await Client.DeleteAsync("/job/" + id, Cancel);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
    }

    [Fact]
    public async Task AScriptedUuid_IsAJobTheStandInKnows()
    {
        var id = Guid.NewGuid().ToString();
        StandIn.Script.Respond(id, 200, """{"status":"Pending"}""");

        using var cancelled = await Client.PostAsync("/cancel/" + id, null, Cancel);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
    }

    [Fact]
    public async Task CancelsAndDeletes_AreCounted_KnownOrNot()
    {
        var id = await CreateAsync("/parse_async");
        using (await Client.PostAsync("/cancel/" + id, null, Cancel))
        using (await Client.PostAsync("/cancel/" + Guid.NewGuid(), null, Cancel))
        using (await Client.DeleteAsync("/job/" + id, Cancel))
        using (await Client.DeleteAsync("/upload/" + Guid.NewGuid(), Cancel))
        {
        }

        using var stats = await StandInStatsClient.GetAsync(StandIn);

        Assert.Equal(2, stats.RootElement.GetProperty("cancels").GetInt32());
        Assert.Equal(1, stats.RootElement.GetProperty("jobDeletes").GetInt32());
        Assert.Equal(1, stats.RootElement.GetProperty("uploadDeletes").GetInt32());
        Assert.Equal(2, StandIn.Creations.Cancels);
    }
}
