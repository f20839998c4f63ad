using System.Text;
using System.Text.Encodings.Web;
using HelloFarm.Hosting;

namespace HelloFarm.Pages;

/// <summary>
/// The shared page shell. Every dynamic value reaches the HTML through <see cref="Encode"/>; the
/// page bodies handed in here are already-encoded fragments built by the page classes.
/// </summary>
internal static class HtmlPage
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; color: #222; }
        header { border-bottom: 1px solid #ccc; margin-bottom: 1.5rem; padding-bottom: .5rem; }
        header a { margin-right: 1rem; }
        .served-by { background: #f3f6fa; border: 1px solid #d5dde8; border-radius: 6px; padding: .75rem 1rem; }
        .server { font-size: 1.6rem; font-weight: bold; }
        label { display: block; margin: .5rem 0 .2rem; }
        input[type=text] { padding: .3rem; width: 18rem; }
        button { margin-top: 1rem; padding: .4rem 1rem; }
        .error { color: #a00; }
        """;

    public static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? string.Empty);

    public static IResult Render(string title, InstanceInfo instance, string body, int statusCode = StatusCodes.Status200OK)
    {
        var html = new StringBuilder(2048);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<title>").Append(Encode(title)).Append(" - HelloFarm</title>\n");
        html.Append("<style>").Append(Style).Append("</style>\n</head>\n<body>\n");
        html.Append("<header><a href=\"/\">Home</a><a href=\"/about\">About</a></header>\n");
        html.Append("<h1>").Append(Encode(title)).Append("</h1>\n");
        html.Append(ServedBy(instance));
        html.Append(body);
        html.Append("</body>\n</html>\n");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    /// <summary>The box that says which server and which process answered this request.</summary>
    private static string ServedBy(InstanceInfo instance) => $"""
        <div class="served-by">
        Served by <span class="server" id="server">{Encode(instance.ServerName)}</span><br>
        process <span id="pid">{instance.ProcessId}</span>, started <span id="started">{Encode(instance.StartedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture))}</span>{(instance.Release is null ? string.Empty : $"<br>\nrelease <span id=\"release\">{Encode(instance.Release)}</span>")}
        </div>

        """;
}
