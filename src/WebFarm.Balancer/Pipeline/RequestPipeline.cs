using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Async;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Pipeline;

/// <summary>
/// The one request pipeline for every routed HTTP request, whichever client adapter read it (Kestrel or the
/// HTTP/1.1 front end): choose (<see cref="ChooseStage"/>) → concurrency gate (<see cref="GateStage"/>) → attempt
/// (the adapter, on the upstream path <see cref="ServingDecision"/> picks, holding an <see cref="AttemptLease"/>) →
/// retry decision (<see cref="RetryDecision"/>) → the response or the balancer's error → accounting (lease, access
/// log). One instance serves every request of a balancer; all per-request state is local.
/// </summary>
internal sealed partial class RequestPipeline
{
    private readonly BalancerRuntime _runtime;

    public RequestPipeline(BalancerRuntime runtime, ILoggerFactory loggerFactory)
    {
        _runtime = runtime;
        Logger = loggerFactory.CreateLogger("WebFarm.Forwarder");
        Direct = new Http1Forwarder(Logger);
        AccessLog = new AccessLog(loggerFactory);
    }

    public ILogger Logger { get; }

    /// <summary>The direct HTTP/1.1 upstream path, shared by both adapters.</summary>
    public Http1Forwarder Direct { get; }

    public AccessLog AccessLog { get; }

    public BalancerRuntime Runtime => _runtime;

    /// <summary>
    /// Serves a request routed to <paramref name="route"/>, whose farm's view the caller read once
    /// (<paramref name="view"/>). Returns the server that answered last (null when none did), for the caller's own
    /// accounting. <paramref name="start"/> is when the request arrived (<see cref="Stopwatch.GetTimestamp"/>).
    /// </summary>
    public ValueTask<ServerRuntime?> ServeAsync<TClient>(TClient client, RuntimeSnapshot snapshot, CompiledRoute route, FarmView view, string requestId, long start)
        where TClient : IClientAdapter
        => AccessLog.IsOn(snapshot)
            ? ServeWithAccessLogAsync(client, snapshot, route, view, requestId, start)
            : RunAsync(client, snapshot, route, view, requestId);

    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<ServerRuntime?> ServeWithAccessLogAsync<TClient>(TClient client, RuntimeSnapshot snapshot, CompiledRoute route, FarmView view, string requestId, long start)
        where TClient : IClientAdapter
    {
        ServerRuntime? server = null;
        try
        {
            server = await RunAsync(client, snapshot, route, view, requestId).ConfigureAwait(false);
            return server;
        }
        finally
        {
            client.LogAccess(AccessLog, route.Farm.Name, server?.Name ?? "-", requestId, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    // Pooled: the state machine of every request would otherwise be a fresh heap object (see docs/benchmarks.md).
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<ServerRuntime?> RunAsync<TClient>(TClient client, RuntimeSnapshot snapshot, CompiledRoute route, FarmView view, string requestId)
        where TClient : IClientAdapter
    {
        var farm = route.Farm;

        // The policy of the view the caller read, for every attempt: a reload meanwhile cannot change what it reads
        // (the front end takes only policies that do not read the request).
        var policy = view.Policy;
        var maxAttempts = view.Options.Retries.MaxAttempts;
        var lookup = AffinityLookup.Unbound;
        var lastFailure = default(AttemptResult);
        ServerRuntime?[]? tried = null;
        for (var attempt = 1; ; attempt++)
        {
            // 1. Choose.
            var choice = ChooseStage.Choose(client, farm, view, policy, attempt, ref lookup, tried, _runtime.Events, out var server);
            if (choice == ChoiceOutcome.AffinityRejected)
            {
                farm.Statistics.RecordNoServerAvailable();
                await client.WriteErrorAsync(StatusCodes.Status503ServiceUnavailable, $"WebFarm: the server this client is bound to ('{server?.Name}') is not available in farm '{farm.Name}'", requestId, retryAfter: true).ConfigureAwait(false);
                return server;
            }

            if (choice == ChoiceOutcome.NoServer)
            {
                if (tried is null)
                {
                    farm.Statistics.RecordNoServerAvailable();
                    await client.WriteErrorAsync(StatusCodes.Status503ServiceUnavailable, $"WebFarm: no available server in farm '{farm.Name}'", requestId, retryAfter: true).ConfigureAwait(false);
                    return null;
                }

                // Every candidate already failed this request.
                break;
            }

            // 2. Concurrency gate.
            var gate = server!.Gate;
            var entered = await GateStage.EnterAsync(gate, view, client.ClientGone).ConfigureAwait(false);
            if (entered != GateResult.Entered)
            {
                if (entered == GateResult.Canceled)
                {
                    farm.Statistics.RecordClientAbort();
                    client.Abort();
                    return server;
                }

                farm.Statistics.RecordQueueRejection();
                await client.WriteErrorAsync(StatusCodes.Status503ServiceUnavailable, AttemptLease.GateRejection(server, gate!, farm, view.Options.Limits, entered), requestId, retryAfter: true).ConfigureAwait(false);
                return server;
            }

            // 3. Attempt, holding the lease.
            if (!AttemptLease.TryBegin(farm, ref view, server, gate, client.ClientGone, out var lease))
            {
                // A reload removed the farm while this request held its old view (docs/architecture.md, invariant 3).
                gate?.Release();
                var removed = ForwardingFailures.Describe(ForwardingFailure.FarmRemoved);
                Log.FarmRemoved(Logger, removed.Level, requestId, farm.Name);
                await client.WriteErrorAsync(removed.Status, ForwardingFailures.Message(ForwardingFailure.FarmRemoved, farm.Name), requestId, retryAfter: true).ConfigureAwait(false);
                return server;
            }

            AttemptResult result;
            try
            {
                result = await client.AttemptAsync(Direct, new AttemptRequest(snapshot, route, view, server, lease.Transport, lease.Exchange, requestId)).ConfigureAwait(false);
            }
            finally
            {
                lease.End(_runtime);
            }

            if (result.Outcome is AttemptOutcome.Done or AttemptOutcome.ClientAborted)
            {
                return server;
            }

            // 4. Retry decision.
            if (!RetryDecision.ShouldRetry(result, attempt, maxAttempts, client.IsIdempotent, client.CanReplayBody, client.HasStarted))
            {
                await client.WriteErrorAsync(result.StatusCode, result.Message!, requestId).ConfigureAwait(false);
                return server;
            }

            tried ??= new ServerRuntime?[maxAttempts];
            tried[attempt - 1] = server;
            Log.Retrying(Logger, requestId, attempt, server, result.Message);
            lastFailure = result;
        }

        await client.WriteErrorAsync(lastFailure.StatusCode, lastFailure.Message!, requestId).ConfigureAwait(false);
        return null;
    }
}
