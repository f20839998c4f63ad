using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Async;
using WebFarm.Balancer.Caching;
using WebFarm.Balancer.Compression;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding.Headers;
using WebFarm.Balancer.Pipeline;
using WebFarm.Balancer.Routing;
using WebFarm.Balancer.Tls;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// Kestrel's entry to the request pipeline (its terminal middleware): screens the request by the byte-level rules,
/// routes it (no route → 404), gathers its facts (upgrade, body, a small idempotent body buffered for replay) into a
/// <see cref="KestrelClient"/> and hands it to the <see cref="RequestPipeline"/>, which both client adapters share.
/// </summary>
internal sealed partial class HttpForwarder
{
    private readonly BalancerRuntime _runtime;
    private readonly RequestPipeline _pipeline;
    private readonly HandlerForwarder _handler;
    private readonly ILogger _logger;

    public HttpForwarder(RequestPipeline pipeline)
    {
        _pipeline = pipeline;
        _runtime = pipeline.Runtime;
        _logger = pipeline.Logger;
        _handler = new HandlerForwarder(_logger);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var snapshot = _runtime.Snapshot;
        var requestId = RequestIds.Next();
        context.Response.Headers[RequestIds.Header] = requestId;
        var start = Stopwatch.GetTimestamp();
        var refused = Screen(context);
        if (refused != ForwardingFailure.None)
        {
            var description = ForwardingFailures.Describe(refused);
            Log.Refused(_logger, description.Level, requestId, refused, description.Reason);
            return KestrelResponses.WriteFailureAsync(context, refused, requestId);
        }

        if (context.Features.Get<ListenerPolicy>() is { } listener)
        {
            if (listener.RedirectPort != 0)
            {
                var redirect = HttpsRedirect.WriteAsync(context, listener.RedirectPort, requestId);
                LogAccessWithoutFarm(context, snapshot, requestId, start);
                return redirect;
            }

            listener.AddHsts(context.Response);
        }

        var route = snapshot.Routes.Match(context.Request);
        if (route is null)
        {
            return WriteNoRouteAsync(context, snapshot, requestId, start);
        }

        if (route.Rewrite is not null && Rewrite.RequestRewriter.Apply(context, route, requestId) is { } answer)
        {
            return AnswerBeforePipelineAsync(answer, context, snapshot, route.Farm, requestId, start);
        }

        // Not an async method itself: one wrapper object per request instead of a state machine box.
        var forwarding = ForwardAsync(context, snapshot, route, requestId, start);
        if (forwarding.IsCompletedSuccessfully)
        {
            _ = forwarding.Result; // Reading the result hands a pooled box back.
            return Task.CompletedTask;
        }

        return forwarding.AsTask();
    }

    /// <summary>
    /// The request rules of issue 13 for what Kestrel accepted: HTTP/1.1 heads are screened as raw bytes
    /// (<see cref="RequestHeadScreen"/>, the front end's tap recorded them), so the Kestrel path refuses exactly what
    /// the rules refuse; HTTP/2 requests have no such head, and CONNECT is refused on every version.
    /// </summary>
    private static ForwardingFailure Screen(HttpContext context)
    {
        var failure = RequestHeadScreen.ScreenTarget(context.Request.Method, context.Features.Get<IHttpRequestFeature>()?.RawTarget);
        if (context.Features.Get<FrontEnd.RawHeadTap>() is { } tap)
        {
            var head = tap.TakeHead();
            context.Response.RegisterForDispose(tap);
            if (failure == ForwardingFailure.None && !head.IsEmpty)
            {
                failure = RequestHeadScreen.ScreenFields(head, out var connection);
                tap.Connection = connection;
            }
        }

        return failure;
    }

    private void LogAccessWithoutFarm(HttpContext context, RuntimeSnapshot snapshot, string requestId, long start)
    {
        if (_pipeline.AccessLog.IsOn(snapshot))
        {
            KestrelClient.WriteAccessLog(context, _pipeline.AccessLog, "-", "-", requestId, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    private async Task WriteNoRouteAsync(HttpContext context, RuntimeSnapshot snapshot, string requestId, long start)
    {
        try
        {
            await KestrelResponses.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"WebFarm: no route for host '{context.Request.Host.Host}' and path '{context.Request.Path}'", requestId).ConfigureAwait(false);
        }
        finally
        {
            LogAccessWithoutFarm(context, snapshot, requestId, start);
        }
    }

    // Pooled: the state machine of every request would otherwise be a fresh heap object (see docs/benchmarks.md).
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<ServerRuntime?> ForwardAsync(HttpContext context, RuntimeSnapshot snapshot, CompiledRoute route, string requestId, long start)
    {
        var farm = route.Farm;
        var view = farm.View;
        var upgradeFeature = context.Features.Get<IHttpUpgradeFeature>();
        // An h2c upgrade is never forwarded: a server accepting it would open a tunnel past the balancer's routing and
        // rules (h2c smuggling). It goes as a plain request; Upgrade and HTTP2-Settings are hop-by-hop and stay behind.
        var isUpgrade = upgradeFeature is { IsUpgradableRequest: true } && !HeaderNames.ListContains(context.Request.Headers.Upgrade.ToString(), "h2c");
        var hasBody = !isUpgrade && (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true);
        var idempotent = KestrelClient.IsIdempotentMethod(context.Request.Method);
        var maxAttempts = view.Options.Retries.MaxAttempts;

        if (UpstreamTarget.IsAsteriskForm(context) && !ServingDecision.CanSendAsteriskForm(view, hasBody))
        {
            // "OPTIONS *" goes out in asterisk form on the direct path only: HttpClient has no way to send it.
            await KestrelResponses.WriteFailureAsync(context, ForwardingFailure.UnsendableRequest, requestId).ConfigureAwait(false);
            LogAccessBeforePipeline(context, snapshot, farm, requestId, start);
            return null;
        }

        if (route.Cache is { } cache && ResponseCacheStage.Applies(context, hasBody, isUpgrade))
        {
            await ResponseCacheStage.ServeAsync(context, cache, new KestrelCacheFetch(this, context, snapshot, route, view, requestId, start)).ConfigureAwait(false);
            return null;
        }

        byte[]? buffered = null;
        var bufferedLength = 0;
        try
        {
            // Small idempotent bodies are read up front so that a failed attempt can be replayed elsewhere.
            if (hasBody && idempotent && maxAttempts > 1 && context.Request.ContentLength is long length && length <= view.Options.Retries.MaxBufferedBody)
            {
                bufferedLength = (int)length;
                buffered = ArrayPool<byte>.Shared.Rent(Math.Max(bufferedLength, 1));
                try
                {
                    await context.Request.Body.ReadExactlyAsync(buffered.AsMemory(0, bufferedLength), context.RequestAborted).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    await KestrelResponses.OnClientBodyErrorAsync(context, farm, ex, requestId).ConfigureAwait(false);
                    LogAccessBeforePipeline(context, snapshot, farm, requestId, start);
                    return null;
                }
            }

            var client = new KestrelClient(context, _handler, isUpgrade ? upgradeFeature : null, hasBody, idempotent, buffered, bufferedLength);
            var compression = isUpgrade ? null : CompressingResponseBody.TryInstall(context, route.Compression);
            var server = await _pipeline.ServeAsync(client, snapshot, route, view, requestId, start).ConfigureAwait(false);
            if (compression is not null)
            {
                await compression.FinishAsync().ConfigureAwait(false);
            }

            return server;
        }
        finally
        {
            if (buffered is not null)
            {
                ArrayPool<byte>.Shared.Return(buffered);
            }
        }
    }

    /// <summary>A rewrite rule's redirect or refusal, then its access-log line.</summary>
    private async Task AnswerBeforePipelineAsync(Task answer, HttpContext context, RuntimeSnapshot snapshot, FarmRuntime farm, string requestId, long start)
    {
        try
        {
            await answer.ConfigureAwait(false);
        }
        finally
        {
            LogAccessBeforePipeline(context, snapshot, farm, requestId, start);
        }
    }

    /// <summary>A cached route's fetch: the pipeline for a GET or HEAD without a body (<see cref="ResponseCacheStage"/>).</summary>
    internal ValueTask<ServerRuntime?> FetchForCacheAsync(HttpContext context, RuntimeSnapshot snapshot, CompiledRoute route, FarmView view, string requestId, long start)
        => _pipeline.ServeAsync(new KestrelClient(context, _handler, null, hasBody: false, idempotent: true, null, 0), snapshot, route, view, requestId, start);

    /// <summary>A routed request answered before the pipeline ran still gets its access-log line.</summary>
    internal void LogAccessBeforePipeline(HttpContext context, RuntimeSnapshot snapshot, FarmRuntime farm, string requestId, long start)
    {
        if (_pipeline.AccessLog.IsOn(snapshot))
        {
            KestrelClient.WriteAccessLog(context, _pipeline.AccessLog, farm.Name, "-", requestId, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }
}
