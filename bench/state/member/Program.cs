using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;
using WebFarm.AspNetCore.Caching;
using WebFarm.AspNetCore.Resp;

// Usage: MemberBench <endpoints,comma,separated> <Auto|Primary|Cluster> <read|write> <seconds> <workers> <bytes> <sessions>
// Writes are what a session commit does (HSET + PEXPIRE, sliding 20 min); reads what a session load does
// (HMGET + the sliding PEXPIRE). Prints: ops/s p50_ms p99_ms errors.
if (args.Length != 7)
{
    Console.Error.WriteLine("usage: MemberBench <endpoints> <Auto|Primary|Cluster> <read|write> <seconds> <workers> <bytes> <sessions>");
    return 2;
}

var options = new RespClientOptions { Topology = Enum.Parse<RespTopology>(args[1], ignoreCase: true) };
foreach (var endPoint in args[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
{
    options.EndPoints.Add(endPoint);
}

bool write = args[2] == "write";
var duration = TimeSpan.FromSeconds(double.Parse(args[3], CultureInfo.InvariantCulture));
int workers = int.Parse(args[4], CultureInfo.InvariantCulture);
var payload = new byte[int.Parse(args[5], CultureInfo.InvariantCulture)];
Random.Shared.NextBytes(payload);
int sessions = int.Parse(args[6], CultureInfo.InvariantCulture);
var entry = new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20) };

await using var client = new RespClient(options);
var cache = new RespDistributedCache(client, "bench:");
var keys = new string[sessions];
for (int i = 0; i < sessions; i++)
{
    keys[i] = "session-" + i.ToString(CultureInfo.InvariantCulture);
}

// Every session exists before a read run; this also warms up connections and the JIT.
await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = workers }, async (key, ct) => await cache.SetAsync(key, payload, entry, ct));

long errors = 0;
var latencies = new List<double>[workers];
var stop = Stopwatch.StartNew();
var tasks = new Task[workers];
for (int w = 0; w < workers; w++)
{
    int worker = w;
    latencies[worker] = new List<double>(1 << 16);
    tasks[w] = Task.Run(async () =>
    {
        var rng = new Random(worker);
        while (stop.Elapsed < duration)
        {
            string key = keys[rng.Next(keys.Length)];
            long start = Stopwatch.GetTimestamp();
            try
            {
                if (write)
                {
                    await cache.SetAsync(key, payload, entry);
                }
                else if (await cache.GetAsync(key) is null)
                {
                    Interlocked.Increment(ref errors);
                }
            }
            catch (RespException)
            {
                Interlocked.Increment(ref errors);
            }

            latencies[worker].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    });
}

await Task.WhenAll(tasks);
double seconds = stop.Elapsed.TotalSeconds;
var all = latencies.SelectMany(l => l).Order().ToArray();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{all.Length / seconds:0} {all[all.Length / 2]:0.000} {all[(int)(all.Length * 0.99)]:0.000} {errors}"));
return 0;
