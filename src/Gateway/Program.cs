using Gateway.Auth;
using Gateway.Caching;
using Gateway.Cluster;
using Gateway.Health;
using Gateway.Hosting;
using Gateway.Jobs;
using Gateway.OpenApi;
using Gateway.Problems;
using Gateway.Proxy;
using Gateway.Teams;
using Gateway.Telemetry;
using Gateway.Upstream;
using Gateway.Webhooks;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddGatewayProblems();
builder.Services.AddGatewayKeys();
builder.Services.AddTeamLimits();
builder.Services.AddUpstream();
builder.Services.AddJobCache();
builder.Services.AddReplicaCoordination();
builder.Services.AddJobs();
builder.Services.AddWebhooks();
builder.Services.AddReductoProxy(builder.Configuration);
builder.Services.AddGatewayOpenApi();
builder.Services.AddGatewayHealth();
builder.Services.AddGatewayTelemetry();
builder.Services.AddGracefulShutdown();
builder.Services.AddServerLimits();
builder.Services.AddHostedService<StartupReport>();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapGatewayOpenApi();
app.UseGatewayKeys();
app.UseUsageMetrics();
app.UseRateLimiter();
app.MapGatewayHealth();
app.MapGatewayMetrics();
app.MapJobs();
app.MapWebhooks();
app.MapCachePurge();
app.MapReductoProxy();

app.Run();
