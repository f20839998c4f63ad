using System.Net;
using System.Text;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// The dashboard's page frame: head (styles, the one script, the session's CSRF token in a meta tag), navigation,
/// the live status region, and the security headers every page gets. Everything a page shows is HTML-encoded here
/// or by <see cref="Encode"/>; the admin token never appears in a page.
/// </summary>
internal static class DashboardHtml
{
    /// <summary>No inline script or style, nothing from another origin, not framed (clickjacking).</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    /// <summary>A path segment for links: farm and server names are config names, but encode them anyway.</summary>
    public static string Segment(string name) => Uri.EscapeDataString(name);

    public static string Page(DashboardSite site, string title, string page, string? csrfToken, bool canLogOut, string body, string bodyAttributes = "")
    {
        var html = new StringBuilder(body.Length + 2048);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        if (csrfToken is not null)
        {
            html.Append("<meta name=\"webfarm-csrf\" content=\"").Append(Encode(csrfToken)).Append("\">");
        }

        html.Append("<title>").Append(Encode(title)).Append(" · WebFarm</title>");
        html.Append("<link rel=\"icon\" href=\"data:,\">");
        html.Append("<link rel=\"stylesheet\" href=\"/dashboard/assets/dashboard.css\">");
        html.Append("<script src=\"/dashboard/assets/dashboard.js\" defer></script>");
        html.Append("</head><body data-page=\"").Append(page).Append('"').Append(bodyAttributes).Append('>');
        html.Append("<a class=\"skip\" href=\"#main\">Skip to content</a>");
        html.Append("<header><a class=\"brand\" href=\"/dashboard/\">WebFarm</a><nav aria-label=\"Dashboard\">");
        foreach (var link in site.Nav)
        {
            Nav(html, link.Href, link.Text, page == link.Page);
        }

        html.Append("</nav><span id=\"live\" class=\"live\" role=\"status\" aria-live=\"polite\">connecting…</span>");
        if (canLogOut)
        {
            html.Append("<button type=\"button\" id=\"logout\" class=\"link\">Log out</button>");
        }

        html.Append("</header><main id=\"main\" tabindex=\"-1\">").Append(body).Append("</main></body></html>");
        return html.ToString();
    }

    private static void Nav(StringBuilder html, string href, string text, bool current)
    {
        html.Append("<a href=\"").Append(href).Append('"');
        if (current)
        {
            html.Append(" aria-current=\"page\"");
        }

        html.Append('>').Append(text).Append("</a>");
    }
}
