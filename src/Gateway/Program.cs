using Gateway.Auth;
using Gateway.Caching;
using Gateway.Creations;
using Gateway.Credits;
using Gateway.Cluster;
using Gateway.Direct;
using Gateway.Health;
using Gateway.Hosting;
using Gateway.Jobs;
using Gateway.Operations;
using Gateway.OpenApi;
using Gateway.Ownership;
using Gateway.Problems;
using Gateway.Proxy;
using Gateway.Redis;
using Gateway.Teams;
using Gateway.Telemetry;
using Gateway.Upstream;
using Gateway.Usage;
using Gateway.Webhooks;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddGatewayKeyDirectory();

builder.Services.AddGatewayProblems();
builder.Services.AddGatewayKeys();
builder.Services.AddTeamLimits();
builder.Services.AddUpstream();
builder.Services.AddSharedRedis();
builder.Services.AddJobCache();
builder.Services.AddReplicaCoordination();
builder.Services.AddJobs();
builder.Services.AddOwnership();
builder.Services.AddCreations();
builder.Services.AddCredits();
builder.Services.AddWebhooks();
builder.Services.AddReductoProxy(builder.Configuration);
builder.Services.AddGatewayOpenApi();
builder.Services.AddGatewayHealth();
builder.Services.AddGatewayTelemetry();
builder.Services.AddUsage();
builder.Services.AddOperations();
builder.Services.AddGracefulShutdown();
builder.Services.AddServerLimits();
builder.Services.AddDirectHits();
builder.Services.AddHostedService<StartupReport>();

if (StartupCheck.IsOwnProcess && StartupCheck.CheckLogging(builder.Configuration) is { Count: > 0 } invalidLogging)
{
    return StartupCheck.Report(invalidLogging, Console.Error);
}

WebApplication app;
try
{
    app = builder.Build();
    StartupCheck.Validate(app.Services);

    app.UseDirectHits();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.MapGatewayOpenApi();
    app.UseGatewayKeys();
    app.UseQuotaHeaders();
    app.UseUsageMetrics();
    app.UseTeamCeiling();
    app.MapGatewayHealth();
    app.MapGatewayMetrics();
    app.MapJobs();
    app.MapWebhooks();
    app.MapCachePurge();
    app.MapOwnership();
    app.MapUsage();
    app.MapCredits();
    app.MapOperations();
    app.MapReductoProxy();
}
catch (Exception exception) when (StartupCheck.IsOwnProcess && StartupCheck.Describe(exception) is { } invalidSettings)
{
    return StartupCheck.Report(invalidSettings, Console.Error);
}

app.Run();
return 0;
