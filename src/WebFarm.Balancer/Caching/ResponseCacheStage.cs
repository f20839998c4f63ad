using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// A route's response cache in front of the request pipeline (Kestrel's path; docs/cache.md):
/// <list type="number">
/// <item>a fresh copy the request accepts is the answer (HIT, or 304 to a matching conditional request);</item>
/// <item>otherwise, when nothing is stored yet, one request fetches and the others for the same key wait for it up to
/// <c>LockTimeout</c> (request collapsing), then look again or go upstream themselves;</item>
/// <item>the fetch runs the pipeline into a <see cref="ResponseCapture"/>: the client's validators are kept back and
/// a stale copy's are sent instead, so a 304 refreshes it (REVALIDATED); a storable response is stored (MISS); a 5xx
/// or the balancer's own error is replaced by a stale copy within <c>StaleIfError</c> (STALE).</item>
/// </list>
/// </summary>
internal static class ResponseCacheStage
{
    private static readonly string[] s_noVary = [];
    private static readonly string?[] s_noValues = [];

    /// <summary>GET and HEAD without a body, upgrade or Range (ranges are relayed, never cached or answered from a copy).</summary>
    public static bool Applies(HttpContext context, bool hasBody, bool isUpgrade)
    {
        var request = context.Request;
        return !hasBody && !isUpgrade && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) && !request.Headers.ContainsKey(HeaderNames.Range);
    }

    public static async Task ServeAsync<TFetch>(HttpContext context, ResponseCache cache, TFetch fetch)
        where TFetch : struct, ICacheFetch
    {
        var request = context.Request;
        var options = cache.Options;
        var directives = CachePolicy.RequestDirectives(request.Headers);
        var key = CacheKey.For(request, options.IgnoreQueryParameters);
        var view = new HttpRequestPolicyView(context);
        var entry = directives.NoStore ? null : cache.Find(key, view) ?? cache.FindOnDisk(key, view);
        if (entry is not null && Acceptable(entry, directives, cache.Clock, out var age))
        {
            cache.Statistics.RecordHit();
            await WriteEntryAsync(context, entry, age, CacheHeaders.Hit).ConfigureAwait(false);
            fetch.LogAnswered();
            return;
        }

        var fetching = false;
        if (entry is null && !HttpMethods.IsHead(request.Method) && !directives.NoStore && !directives.NoCache && options.LockTimeout > TimeSpan.Zero)
        {
            fetching = cache.TryBeginFetch(key, out var inProgress);
            if (!fetching)
            {
                // Another request is fetching this key: wait for it (bounded), then use what it stored if it fits.
                cache.Statistics.EnterWait();
                try
                {
                    await inProgress.WaitAsync(options.LockTimeout, context.RequestAborted).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
                catch (OperationCanceledException)
                {
                    return; // the client left; Kestrel ends the exchange
                }
                finally
                {
                    cache.Statistics.ExitWait();
                }

                entry = cache.Find(key, new HttpRequestPolicyView(context));
                if (entry is not null && Acceptable(entry, directives, cache.Clock, out age))
                {
                    cache.Statistics.RecordCollapsed();
                    cache.Statistics.RecordHit();
                    await WriteEntryAsync(context, entry, age, CacheHeaders.Hit).ConfigureAwait(false);
                    fetch.LogAnswered();
                    return;
                }
            }
        }

        try
        {
            await FetchAsync(context, cache, fetch, key, entry, directives).ConfigureAwait(false);
        }
        finally
        {
            if (fetching)
            {
                cache.EndFetch(key);
            }
        }
    }

    /// <summary>
    /// Fresh, and the request's own directives (no-cache, max-age) accept its age. Ages are whole seconds, so a copy
    /// stored this second has age 0; max-age=0 (a browser's reload) is taken as "ask the server", like no-cache.
    /// </summary>
    private static bool Acceptable(CachedResponse entry, CacheControl directives, TimeProvider clock, out long age)
    {
        age = entry.AgeSeconds(clock);
        return entry.IsFresh(age) && !directives.NoCache && (directives.MaxAge is not { } maxAge || (maxAge > 0 && age <= maxAge));
    }

    private static async Task FetchAsync<TFetch>(HttpContext context, ResponseCache cache, TFetch fetch, string key, CachedResponse? stale, CacheControl directives)
        where TFetch : struct, ICacheFetch
    {
        var request = context.Request;
        var options = cache.Options;
        var isHead = HttpMethods.IsHead(request.Method);
        var hasAuthorization = request.Headers.ContainsKey(HeaderNames.Authorization);
        var clock = cache.Clock;

        // The client's validators stay back: the cache wants a full response to store and answers them itself.
        var clientIfNoneMatch = request.Headers.IfNoneMatch;
        var clientIfModifiedSince = request.Headers.IfModifiedSince;
        request.Headers.Remove(HeaderNames.IfNoneMatch);
        request.Headers.Remove(HeaderNames.IfModifiedSince);
        var staleETag = stale?.Header(HeaderNames.ETag);
        var staleLastModified = stale?.Header(HeaderNames.LastModified);
        var sentValidators = !isHead && (staleETag is not null || staleLastModified is not null);
        if (sentValidators)
        {
            if (staleETag is not null)
            {
                request.Headers.IfNoneMatch = staleETag;
            }
            else
            {
                request.Headers.IfModifiedSince = staleLastModified;
            }
        }

        var staleAge = stale?.AgeSeconds(clock) ?? 0;
        var staleFallback = stale is not null && stale.CanServeStale(staleAge, options.StaleIfError);
        var canStore = !isHead && !directives.NoStore;
        var freshness = default(Freshness);
        var capture = new ResponseCapture(
            context,
            (status, headers) =>
                (sentValidators && status == StatusCodes.Status304NotModified)
                || (staleFallback && status >= 500)
                || (canStore && headers.ContentLength is not > int.MaxValue && CachePolicy.IsStorable(status, headers, hasAuthorization, options, clock.GetUtcNow(), out freshness)),
            options.MaxEntrySize);
        try
        {
            await fetch.FetchAsync().ConfigureAwait(false);
        }
        finally
        {
            capture.Restore();
            RestoreValidators(request.Headers, clientIfNoneMatch, clientIfModifiedSince);
        }

        if (capture.PassedThrough || context.RequestAborted.IsCancellationRequested)
        {
            cache.Statistics.RecordMiss();
            return;
        }

        var status = capture.StatusCode;
        if (sentValidators && status == StatusCodes.Status304NotModified)
        {
            var refreshed = Refresh(stale!, capture.Headers, hasAuthorization, options, clock);
            if (refreshed is not null)
            {
                cache.Store(refreshed);
            }

            cache.Statistics.RecordRevalidated();
            var served = refreshed ?? stale!;
            await WriteEntryAsync(context, served, served.AgeSeconds(clock), CacheHeaders.Revalidated).ConfigureAwait(false);
            return;
        }

        if (staleFallback && status >= 500)
        {
            cache.Statistics.RecordStale();
            await WriteEntryAsync(context, stale!, stale!.AgeSeconds(clock), CacheHeaders.Stale).ConfigureAwait(false);
            return;
        }

        cache.Statistics.RecordMiss();
        CachedResponse? stored = null;
        if (canStore && CachePolicy.IsStorable(status, capture.Headers, hasAuthorization, options, clock.GetUtcNow(), out freshness))
        {
            stored = Create(key, status, capture.Headers, capture.Body.ToArray(), freshness, request.Headers, clock);
            cache.Store(stored);
        }

        if (stored is not null)
        {
            await WriteEntryAsync(context, stored, stored.Freshness.InitialAgeSeconds, CacheHeaders.Miss).ConfigureAwait(false);
        }
        else
        {
            await WriteCapturedAsync(context, capture).ConfigureAwait(false);
        }
    }

    private static void RestoreValidators(IHeaderDictionary headers, StringValues ifNoneMatch, StringValues ifModifiedSince)
    {
        headers.Remove(HeaderNames.IfNoneMatch);
        headers.Remove(HeaderNames.IfModifiedSince);
        if (ifNoneMatch.Count > 0)
        {
            headers.IfNoneMatch = ifNoneMatch;
        }

        if (ifModifiedSince.Count > 0)
        {
            headers.IfModifiedSince = ifModifiedSince;
        }
    }

    /// <summary>A copy of what the server sent, as stored: without the headers each answer sets for itself.</summary>
    private static CachedResponse Create(string key, int status, IHeaderDictionary headers, byte[] body, Freshness freshness, IHeaderDictionary request, TimeProvider clock)
    {
        var kept = new List<KeyValuePair<string, StringValues>>(headers.Count);
        foreach (var header in headers)
        {
            if (!IsPerAnswer(header.Key))
            {
                kept.Add(header);
            }
        }

        var vary = headers.Vary;
        var varyNames = s_noVary;
        var varyValues = s_noValues;
        if (vary.Count > 0)
        {
            var names = new List<string>();
            foreach (var line in vary)
            {
                foreach (var name in (line ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    names.Add(name);
                }
            }

            varyNames = [.. names];
            varyValues = new string?[varyNames.Length];
            for (var i = 0; i < varyNames.Length; i++)
            {
                varyValues[i] = request.TryGetValue(varyNames[i], out var v) ? v.ToString() : null;
            }
        }

        return new CachedResponse(key, status, [.. kept], body, freshness, clock.GetTimestamp(), varyNames, varyValues);
    }

    /// <summary>RFC 9111 4.3.4: the stored copy with the 304's headers laid over it, its freshness worked out again.</summary>
    private static CachedResponse? Refresh(CachedResponse stale, IHeaderDictionary notModified, bool hasAuthorization, Configuration.CacheOptions options, TimeProvider clock)
    {
        var merged = new HeaderDictionary();
        foreach (var (name, value) in stale.Headers)
        {
            merged[name] = value;
        }

        foreach (var (name, value) in notModified)
        {
            if (!IsPerAnswer(name) && !string.Equals(name, HeaderNames.ContentType, StringComparison.OrdinalIgnoreCase))
            {
                merged[name] = value;
            }
        }

        // A 304 carries no Age of its own body; the stored copy's Age header must not age the refreshed one.
        merged.Remove(HeaderNames.Age);
        if (!CachePolicy.IsStorable(stale.Status, merged, hasAuthorization, options, clock.GetUtcNow(), out var freshness))
        {
            return null;
        }

        var headers = new KeyValuePair<string, StringValues>[merged.Count];
        var i = 0;
        foreach (var header in merged)
        {
            headers[i++] = header;
        }

        return new CachedResponse(stale.Key, stale.Status, headers, stale.Body, freshness, clock.GetTimestamp(), stale.VaryNames, stale.VaryValues);
    }

    private static bool IsPerAnswer(string name)
        => string.Equals(name, HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.Age, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, CacheHeaders.XCache, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, Forwarding.RequestIds.Header, StringComparison.OrdinalIgnoreCase);

    /// <summary>The headers a 304 repeats from the 200 it stands for (RFC 9110 15.4.5).</summary>
    private static bool IsNotModifiedHeader(string name)
        => string.Equals(name, HeaderNames.CacheControl, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.ContentLocation, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.Date, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.ETag, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.Expires, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.LastModified, StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, HeaderNames.Vary, StringComparison.OrdinalIgnoreCase);

    /// <summary>Answers from a stored copy: its headers, Age and X-Cache, and its body (none for HEAD or a 304).</summary>
    private static Task WriteEntryAsync(HttpContext context, CachedResponse entry, long age, string xCache)
    {
        var response = context.Response;
        var notModified = entry.Status == StatusCodes.Status200OK && CachePolicy.NotModified(context.Request.Headers, entry);
        response.StatusCode = notModified ? StatusCodes.Status304NotModified : entry.Status;
        var headers = response.Headers;
        foreach (var (name, value) in entry.Headers)
        {
            if (!notModified || IsNotModifiedHeader(name))
            {
                headers[name] = value;
            }
        }

        headers.Age = age.ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers[CacheHeaders.XCache] = xCache;
        if (notModified)
        {
            return Task.CompletedTask;
        }

        response.ContentLength = entry.Body.Length;
        if (HttpMethods.IsHead(context.Request.Method) || entry.Body.Length == 0)
        {
            return Task.CompletedTask;
        }

        return response.Body.WriteAsync(entry.Body, context.RequestAborted).AsTask();
    }

    /// <summary>Answers with a held response that was not stored (a 5xx, a 304 to the client's own request, ...).</summary>
    private static Task WriteCapturedAsync(HttpContext context, ResponseCapture capture)
    {
        var response = context.Response;
        response.StatusCode = capture.StatusCode;
        if (capture.ReasonPhrase is not null)
        {
            context.Features.GetRequiredFeature<IHttpResponseFeature>().ReasonPhrase = capture.ReasonPhrase;
        }

        foreach (var (name, value) in capture.Headers)
        {
            response.Headers[name] = value;
        }

        response.Headers[CacheHeaders.XCache] = CacheHeaders.Miss;
        var body = capture.Body;
        if (body.IsEmpty)
        {
            return Task.CompletedTask;
        }

        response.BodyWriter.Write(body);
        return response.BodyWriter.FlushAsync(context.RequestAborted).AsTask();
    }
}
