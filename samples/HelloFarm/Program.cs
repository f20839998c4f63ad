using HelloFarm.Endpoints;
using HelloFarm.Hosting;
using HelloFarm.Pages;
using WebFarm.AspNetCore.Hosting;

// HelloFarm: the sample that `webfarm up` runs N times behind the balancer. Each page says which server
// and which process answered; the name form and the visit counter live in the shared session, so they
// survive the loss of the server that wrote them.
var builder = WebApplication.CreateBuilder(args);

builder.Services.AddSingleton(InstanceInfo.FromEnvironment(builder.Configuration));
builder.Services.AddSingleton<IStartupFilter, ServedByStartupFilter>(); // Before AddWebFarm(): outermost.

// Session and Data Protection keys in the farm's state service, forwarded headers from the balancer,
// /healthz and a graceful drain: the WEBFARM_* variables set by `webfarm up` say where and who.
builder.AddWebFarm();
builder.Services.AddAntiforgery(options => options.Cookie.Name = ".HelloFarm.Antiforgery");

var app = builder.Build();

app.MapGet("/", HomePage.GetAsync);
app.MapPost("/", HomePage.PostAsync).DisableAntiforgery(); // Validated explicitly, to answer with a clear page.
app.MapGet("/about", AboutPage.GetAsync);
app.MapDiagnosticEndpoints();

app.Run();
