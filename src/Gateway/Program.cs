using Gateway.Auth;
using Gateway.Caching;
using Gateway.Health;
using Gateway.Hosting;
using Gateway.Jobs;
using Gateway.OpenApi;
using Gateway.Proxy;
using Gateway.Upstream;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddProblemDetails();
builder.Services.AddGatewayKeys();
builder.Services.AddUpstream();
builder.Services.AddJobCache();
builder.Services.AddJobs();
builder.Services.AddReductoProxy(builder.Configuration);
builder.Services.AddGatewayOpenApi();
builder.Services.AddGatewayHealth();
builder.Services.AddGracefulShutdown();
builder.Services.AddHostedService<StartupReport>();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapGatewayOpenApi();
app.UseGatewayKeys();
app.MapGatewayHealth();
app.MapJobs();
app.MapReductoProxy();

app.Run();
