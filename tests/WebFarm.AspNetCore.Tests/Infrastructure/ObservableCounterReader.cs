using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using WebFarm.AspNetCore.Health;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Reads the current total of one of an app's observable counters (meter <c>WebFarm.AspNetCore</c> created through
/// that app's <see cref="IMeterFactory"/>, so parallel apps do not mix), for one tag value.
/// </summary>
internal static class ObservableCounterReader
{
    public static long Read(IServiceProvider services, string instrumentName, string tagKey, string tagValue)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WebFarmMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == instrumentName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == tagKey && Equals(tag.Value, tagValue))
                {
                    total += value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return total;
    }
}
