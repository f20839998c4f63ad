using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Async;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// The request path for requests the front end serves: the same steps as <see cref="HttpForwarder"/> (route, choose,
/// concurrency gate, attempt, retry what is safe, 502/503/504, statistics) for the shapes it takes: no body, no
/// affinity, a policy that does not read the request, the direct HTTP/1.1 upstream path.
/// </summary>
internal sealed class FrontEndForwarder
{
    private readonly BalancerRuntime _runtime;
    private readonly Http1Forwarder _http1;
    private readonly ILogger _logger;

    public FrontEndForwarder(BalancerRuntime runtime, ILogger logger)
    {
        _runtime = runtime;
        _logger = logger;
        _http1 = new Http1Forwarder(logger);
    }

    /// <summary>
    /// Whether the front end serves this request: the config allows it and the route's farm needs nothing a raw
    /// request lacks. False hands the connection to Kestrel (which also answers requests no route matches).
    /// </summary>
    public bool TryTake(ClientRequestHead head, out RuntimeSnapshot snapshot, out CompiledRoute route, out FarmView view)
    {
        snapshot = _runtime.Snapshot;
        route = null!;
        view = null!;
        var config = snapshot.Config;
        if (!config.Http1FrontEnd || config.AccessLog)
        {
            return false;
        }

        var match = snapshot.Routes.Match(new ClientRouteView(head));
        if (match is null)
        {
            return false;
        }

        view = match.Farm.View;
        if (!view.Transport.IsHttp11 || !view.Options.DirectHttp1 || view.Affinity is not null || view.Policy is not IRequestIndependentPolicy || !view.AllServersCleartext)
        {
            return false;
        }

        route = match;
        return true;
    }

    // Pooled like HttpForwarder.ForwardAsync: otherwise every request's state machine is a fresh heap object.
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    /// <returns>Whether a response (or an abort) ended the request; always true, the builder needs a result.</returns>
    public async ValueTask<bool> ServeAsync(FrontEndConnection client, RuntimeSnapshot snapshot, CompiledRoute route, FarmView view)
    {
        var requestId = RequestIds.Next();
        var farm = route.Farm;

        // The policy of the view TryTake checked, for every attempt: a reload meanwhile cannot change its kind.
        var policy = (IRequestIndependentPolicy)view.Policy;
        var maxAttempts = view.Options.Retries.MaxAttempts;
        var trusted = !snapshot.TrustedProxies.IsEmpty && snapshot.TrustedProxies.Contains(client.RemoteAddress);
        var head = client.Head;
        var lastFailure = default(AttemptResult);
        ServerRuntime?[]? tried = null;
        for (var attempt = 1; ; attempt++)
        {
            var server = farm.Choose(view, tried, _runtime.Events, new IndependentChooser(policy));
            if (server is null)
            {
                if (tried is null)
                {
                    farm.Statistics.RecordNoServerAvailable();
                    await client.WriteErrorAsync(StatusCodes.Status503ServiceUnavailable, $"WebFarm: no available server in farm '{farm.Name}'", requestId, retryAfter: true).ConfigureAwait(false);
                    return true;
                }

                // Every candidate already failed this request.
                break;
            }

            var gate = server.Gate;
            if (gate is not null)
            {
                var limits = view.Options.Limits;
                var entered = await gate.EnterAsync(limits.QueueLength, limits.QueueTimeout, client.ClientGone).ConfigureAwait(false);
                if (entered != GateResult.Entered)
                {
                    if (entered == GateResult.Canceled)
                    {
                        farm.Statistics.RecordClientAbort();
                        client.Abort();
                        return true;
                    }

                    farm.Statistics.RecordQueueRejection();
                    await client.WriteErrorAsync(StatusCodes.Status503ServiceUnavailable, AttemptLease.GateRejection(server, gate, farm, limits, entered), requestId, retryAfter: true).ConfigureAwait(false);
                    return true;
                }
            }

            if (!AttemptLease.TryBegin(farm, ref view, server, gate, client.ClientGone, out var lease))
            {
                // A reload removed the farm while this request held its old view (docs/architecture.md, invariant 3).
                gate?.Release();
                var removed = ForwardingFailures.Describe(ForwardingFailure.FarmRemoved);
                _logger.Log(removed.Level, "Request {RequestId}: farm {Farm} was removed by a configuration reload while the request waited for it; answered 503", requestId, farm.Name);
                await client.WriteErrorAsync(removed.Status, ForwardingFailures.Message(ForwardingFailure.FarmRemoved, farm.Name), requestId, retryAfter: true).ConfigureAwait(false);
                return true;
            }

            AttemptResult result;
            try
            {
                var pool = lease.Transport.GetHttp1Pool(server);
                client.Upstream.Write(head, pool, route, view.Options.PreserveHost, trusted, client.ClientAddress, requestId);
                result = await _http1.AttemptAsync(client, pool, client.Upstream.Bytes, head.IsHead, farm, view, server, requestId, lease.Exchange).ConfigureAwait(false);
            }
            finally
            {
                lease.End(_runtime);
            }

            if (result.Outcome is AttemptOutcome.Done or AttemptOutcome.ClientAborted)
            {
                return true;
            }

            // Failed before any response byte reached the client; every method the front end takes is idempotent
            // and has no body, so another server may always be tried.
            if (attempt >= maxAttempts || client.HasStarted)
            {
                await client.WriteErrorAsync(result.StatusCode, result.Message!, requestId).ConfigureAwait(false);
                return true;
            }

            tried ??= new ServerRuntime?[maxAttempts];
            tried[attempt - 1] = server;
            _logger.LogDebug("Request {RequestId}: attempt {Attempt} on {Server} failed ({Message}); retrying on another server", requestId, attempt, server, result.Message);
            lastFailure = result;
        }

        await client.WriteErrorAsync(lastFailure.StatusCode, lastFailure.Message!, requestId).ConfigureAwait(false);
        return true;
    }

    /// <summary>The policy without a request.</summary>
    private readonly struct IndependentChooser(IRequestIndependentPolicy policy) : ICandidateChooser
    {
        public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates) => policy.Choose(candidates);
    }
}
