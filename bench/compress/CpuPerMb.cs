// Compression CPU per MB (issue 17): compresses a web-like corpus with .NET's encoders (the ones the balancer uses)
// at each level on one thread and prints CPU milliseconds per MB of input and the compressed size. Run through
// bench/compress/run.sh (it builds the corpus and pins this to one core).
//   dotnet run bench/compress/CpuPerMb.cs -- <corpus files...>
using System.Diagnostics;
using System.IO.Compression;

var files = args.Select(File.ReadAllBytes).ToArray();
long inputBytes = files.Sum(f => (long)f.Length);
var minSeconds = double.Parse(Environment.GetEnvironmentVariable("SECONDS_PER_LEVEL") ?? "3", System.Globalization.CultureInfo.InvariantCulture);
Console.WriteLine($"corpus: {files.Length} files, {inputBytes / 1024.0:F0} KiB");
Console.WriteLine("| Encoder | CPU ms per MB | MB/s on one core | Compressed size |");
Console.WriteLine("|---|---|---|---|");

var encoders = new List<(string Name, Func<Stream, Stream> Create)>();
foreach (var level in new[] { 1, 4, 6 })
{
    encoders.Add(($"gzip {level}", s => new GZipStream(s, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true)));
}

foreach (var quality in new[] { 1, 2, 3, 4, 5, 6 })
{
    encoders.Add(($"br {quality}", s => new BrotliStream(s, new BrotliCompressionOptions { Quality = quality }, leaveOpen: true)));
}

var output = new MemoryStream(1 << 20);
foreach (var (name, create) in encoders)
{
    Run(create, output); // warm-up
    var process = Process.GetCurrentProcess();
    var cpuStart = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    long done = 0;
    long compressed = 0;
    while (clock.Elapsed.TotalSeconds < minSeconds)
    {
        compressed = Run(create, output);
        done += inputBytes;
    }

    process.Refresh();
    var cpu = (process.TotalProcessorTime - cpuStart).TotalMilliseconds;
    var mb = done / 1048576.0;
    Console.WriteLine($"| {name} | {cpu / mb:F1} | {mb / (cpu / 1000):F0} | {100.0 * compressed / inputBytes:F1}% |");
}

// Each file as one response: written in 16 KiB pieces (as the balancer receives them) with a flush after each piece,
// as the balancer flushes whenever the server pauses, and a final block.
long Run(Func<Stream, Stream> create, MemoryStream sink)
{
    long total = 0;
    foreach (var file in files)
    {
        sink.SetLength(0);
        using (var encoder = create(sink))
        {
            for (var offset = 0; offset < file.Length; offset += 16384)
            {
                encoder.Write(file, offset, Math.Min(16384, file.Length - offset));
                encoder.Flush();
            }
        }

        total += sink.Length;
    }

    return total;
}
