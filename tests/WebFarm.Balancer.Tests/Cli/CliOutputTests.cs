using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Cli;

/// <summary>
/// The CLI's one output rule (docs/cli.md), on `webfarm servers` against a real balancer: `--output json` is the admin
/// API's document, piped output has no escape byte and no wrapping, and on a terminal (a real pty, through
/// script(1)) colour follows NO_COLOR and TERM and the table fits the width without cutting an address.
/// </summary>
public sealed partial class CliOutputTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private TestBalancer _balancer = null!;

    private string Admin => _balancer.AdminUri!.ToString();

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartNamedAsync("a");

        // web2's address is long and unreachable (no health checks: it still shows online).
        _balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([_backend.Address, "http://backend-with-a-long-name.example.internal:5000"]));
    }

    public async Task DisposeAsync()
    {
        await _balancer.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task Servers_list_json_is_the_admin_api_document_and_bad_output_values_are_argument_errors()
    {
        var list = await WebfarmProcess.RunAsync("servers", "list", "--admin", Admin, "--output", "json");
        Assert.True(list.ExitCode == 0, list.Error);
        using var cli = JsonDocument.Parse(list.Output);
        using var api = JsonDocument.Parse(await _balancer.Admin.GetStringAsync("api/farms"));
        Assert.Equal(Servers(api.RootElement), Servers(cli.RootElement));
        Assert.Equal("web", Assert.Single(cli.RootElement.EnumerateArray()).GetProperty("name").GetString());

        var verify = await WebfarmProcess.RunAsync("servers", "verify", "web1", "--admin", Admin, "-o", "json");
        Assert.True(verify.ExitCode == 0, verify.Error);
        using (var verdict = JsonDocument.Parse(verify.Output))
        {
            Assert.True(verdict.RootElement.GetProperty("healthy").GetBoolean());
            Assert.StartsWith(_backend.Address.TrimEnd('/'), verdict.RootElement.GetProperty("url").GetString());
        }

        var unhealthy = await WebfarmProcess.RunAsync("servers", "verify", "web2", "--admin", Admin, "-o", "json");
        Assert.Equal(1, unhealthy.ExitCode);
        using (var verdict = JsonDocument.Parse(unhealthy.Output))
        {
            Assert.False(verdict.RootElement.GetProperty("healthy").GetBoolean());
        }

        var noFarm = await WebfarmProcess.RunAsync("servers", "list", "--admin", Admin, "--farm", "nope", "-o", "json");
        Assert.Equal(1, noFarm.ExitCode);
        Assert.Equal(string.Empty, noFarm.Output);

        var xml = await WebfarmProcess.RunAsync("servers", "list", "--admin", Admin, "--output", "xml");
        Assert.Equal(2, xml.ExitCode);
        Assert.Contains("'xml'", xml.Error);
        Assert.Contains("'json'", xml.Error);
    }

    [Fact]
    public async Task Piped_output_has_no_escape_byte_and_each_row_is_one_whole_line_whatever_COLUMNS_says()
    {
        // Neither NO_COLOR nor a narrow COLUMNS may matter: a pipe gets no colour and no wrapping.
        var start = new ProcessStartInfo("dotnet", [RepositoryPaths.WebFarmDll, "servers", "list", "--admin", Admin]);
        start.Environment["TERM"] = "xterm-256color";
        start.Environment["COLUMNS"] = "40";
        start.Environment.Remove("NO_COLOR");
        var (exitCode, output, error) = await ProcessRunner.RunToEndAsync(start);

        Assert.True(exitCode == 0, error);
        Assert.DoesNotContain('\u001b', output);
        Assert.Single(output.Split('\n'), l => l.Contains("web2", StringComparison.Ordinal) && l.Contains("http://backend-with-a-long-name.example.internal:5000/", StringComparison.Ordinal));
        Assert.Single(output.Split('\n'), l => l.Contains("In flight", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_a_terminal_colour_is_off_with_NO_COLOR_or_TERM_dumb_and_the_table_fits_without_cutting_addresses()
    {
        using (var remove = await _balancer.Admin.DeleteAsync("api/farms/web/servers/web2"))
        {
            remove.EnsureSuccessStatusCode();
        }

        var coloured = await OnTerminalAsync(columns: 200, ("TERM", "xterm"));
        Assert.Matches(Colour(), coloured);

        Assert.DoesNotMatch(Colour(), await OnTerminalAsync(columns: 200, ("TERM", "xterm"), ("NO_COLOR", "1")));
        Assert.DoesNotMatch(Colour(), await OnTerminalAsync(columns: 200, ("TERM", "dumb")));

        // Narrower than the table's natural width: the other columns give way, the address stays whole on one line.
        var narrow = Lines(await OnTerminalAsync(columns: 74, ("TERM", "xterm"), ("NO_COLOR", "1")));
        Assert.All(narrow, l => Assert.True(l.Length <= 74, $"wider than 74 columns: '{l}'"));
        Assert.Single(narrow, l => l.Contains(_backend.Address.TrimEnd('/') + "/", StringComparison.Ordinal));
        Assert.Contains(narrow, l => l.Contains('…', StringComparison.Ordinal));

        var wide = Lines(await OnTerminalAsync(columns: 200, ("TERM", "xterm"), ("NO_COLOR", "1")));
        Assert.Single(wide, l => l.Contains("In flight", StringComparison.Ordinal));
        Assert.DoesNotContain(wide, l => l.Contains('…', StringComparison.Ordinal));
    }

    /// <summary>
    /// A farm without servers (as `webfarm up`'s `servers` farm, the controller's own servers' farm, always is) is one
    /// line that says so, not an empty table; listed with the others, alone with --farm, and an empty array in JSON.
    /// </summary>
    [Fact]
    public async Task A_farm_without_servers_is_one_line_saying_so_instead_of_an_empty_table()
    {
        var config = TestBalancer.SingleFarm(_backend);
        config = config with
        {
            Farms = new Dictionary<string, WebFarm.Balancer.Configuration.FarmOptions>(config.Farms) { ["servers"] = new() { Servers = [] } },
            Routes = [new WebFarm.Balancer.Configuration.RouteOptions { Farm = "web" }],
        };
        await using var balancer = await TestBalancer.StartAsync(config);
        var admin = balancer.AdminUri!.ToString();

        var all = await WebfarmProcess.RunAsync("servers", "list", "--admin", admin);
        Assert.True(all.ExitCode == 0, all.Error);
        Assert.Single(Lines(all.Output), l => l == "Farm servers (RoundRobin, HTTP/1.1): no servers");
        Assert.Single(Lines(all.Output), l => l == "Farm web (RoundRobin, HTTP/1.1)");
        Assert.Single(Lines(all.Output), l => l.Contains("In flight", StringComparison.Ordinal)); // One table: web's.
        Assert.Single(Lines(all.Output), l => l.Contains("web1", StringComparison.Ordinal));

        var one = await WebfarmProcess.RunAsync("servers", "list", "--admin", admin, "--farm", "servers");
        Assert.True(one.ExitCode == 0, one.Error);
        Assert.Equal(["Farm servers (RoundRobin, HTTP/1.1): no servers"], Lines(one.Output));

        var json = await WebfarmProcess.RunAsync("servers", "list", "--admin", admin, "--farm", "servers", "-o", "json");
        Assert.True(json.ExitCode == 0, json.Error);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(0, Assert.Single(document.RootElement.EnumerateArray()).GetProperty("servers").GetArrayLength());
    }

    /// <summary>The server rows' identity and settings (live counters left out).</summary>
    private static List<string> Servers(JsonElement farms)
    {
        var rows = new List<string>();
        foreach (var farm in farms.EnumerateArray())
        {
            foreach (var s in farm.GetProperty("servers").EnumerateArray())
            {
                rows.Add($"{farm.GetProperty("name")} {s.GetProperty("name")} {s.GetProperty("address")} {s.GetProperty("state")} {s.GetProperty("weight")} {s.GetProperty("backup")}");
            }
        }

        return rows;
    }

    /// <summary>`webfarm servers list` on a pseudo-terminal of <paramref name="columns"/> columns (script(1)); its raw output.</summary>
    private async Task<string> OnTerminalAsync(int columns, params (string Name, string Value)[] environment)
    {
        var command = $"stty cols {columns}; exec dotnet '{RepositoryPaths.WebFarmDll}' servers list --admin '{Admin}'";
        var start = new ProcessStartInfo("script", ["-qec", command, "/dev/null"]);
        start.Environment.Remove("NO_COLOR");
        start.Environment.Remove("COLUMNS");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var (exitCode, output, error) = await ProcessRunner.RunToEndAsync(start);
        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        return output;
    }

    /// <summary>The lines as a terminal shows them: no escape sequences, no carriage returns.</summary>
    private static List<string> Lines(string output)
        => [.. Escape().Replace(output, string.Empty).Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>An SGR (colour) sequence: ESC [ params m.</summary>
    [GeneratedRegex("\u001b\\[[0-9;]*m")]
    private static partial Regex Colour();

    /// <summary>Any CSI or keypad-mode escape sequence (.NET switches the keypad mode on a terminal at start).</summary>
    [GeneratedRegex("\u001b(\\[[0-9;?]*[A-Za-z]|[=>])")]
    private static partial Regex Escape();
}
