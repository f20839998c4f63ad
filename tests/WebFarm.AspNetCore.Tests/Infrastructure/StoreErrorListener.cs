using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using WebFarm.AspNetCore.Health;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Listens to <c>webfarm.store.errors</c> of one app only: meters created through an app's
/// <see cref="IMeterFactory"/> carry that factory as their scope, so parallel tests do not mix.
/// </summary>
public sealed class StoreErrorListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;
    private string? _lastStoreTag;

    public StoreErrorListener(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WebFarmMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory)
                && instrument.Name == WebFarmMetrics.StoreErrorsCounterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "store")
                {
                    Volatile.Write(ref _lastStoreTag, tag.Value as string);
                }
            }

            Interlocked.Add(ref _total, value);
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public string? LastStoreTag => Volatile.Read(ref _lastStoreTag);

    public void Dispose() => _listener.Dispose();
}
