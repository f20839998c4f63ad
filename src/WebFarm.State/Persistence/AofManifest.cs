using System.Globalization;

namespace WebFarm.State.Persistence;

/// <summary>
/// Lists the files that make up the log, in replay order: an optional base (a snapshot written by a
/// rewrite) and one or more incremental files. Replaced atomically (write, fsync, rename), so a crash
/// during a rewrite leaves the previous, complete set in force.
/// </summary>
internal sealed record AofManifest(int Generation, string? Base, IReadOnlyList<string> Incrementals)
{
    public const string FileName = "appendonly.manifest";

    public static string BaseName(int generation) => $"appendonly.{generation.ToString(CultureInfo.InvariantCulture)}.base.aof";

    public static string IncrName(int generation) => $"appendonly.{generation.ToString(CultureInfo.InvariantCulture)}.incr.aof";

    public static AofManifest? Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        int generation = 0;
        string? baseFile = null;
        var incrs = new List<string>();
        var lineNumber = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split(' ', 2);
            var valid = parts.Length == 2 && !parts[1].Contains('/') && !parts[1].Contains('\\');
            switch (valid ? parts[0] : string.Empty)
            {
                case "generation" when int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out generation):
                    break;
                case "base":
                    baseFile = parts[1];
                    break;
                case "incr":
                    incrs.Add(parts[1]);
                    break;
                default:
                    throw new InvalidDataException($"{path}:{lineNumber}: unrecognised manifest line '{line}'");
            }
        }

        if (incrs.Count == 0)
        {
            throw new InvalidDataException($"{path}: the manifest lists no incremental file");
        }

        return new AofManifest(generation, baseFile, incrs);
    }

    public void Save(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(file))
        {
            writer.WriteLine("# webfarm state append-only log manifest: files in replay order");
            writer.WriteLine($"generation {Generation.ToString(CultureInfo.InvariantCulture)}");
            if (Base is not null)
            {
                writer.WriteLine($"base {Base}");
            }

            foreach (var incr in Incrementals)
            {
                writer.WriteLine($"incr {incr}");
            }

            writer.Flush();
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
