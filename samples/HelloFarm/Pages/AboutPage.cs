using HelloFarm.Hosting;

namespace HelloFarm.Pages;

/// <summary>Reads back the names stored by the home page's form, whichever server stored them.</summary>
internal static class AboutPage
{
    public static async Task<IResult> GetAsync(HttpContext context, InstanceInfo instance)
    {
        var (firstName, lastName) = await VisitorSession.GetNameAsync(context);
        var body = firstName is null && lastName is null
            ? "<p id=\"name\">No name in this session yet. Enter one on the <a href=\"/\">home page</a>.</p>\n"
            : $"<p>Your session says your name is <strong id=\"name\"><span id=\"firstName\">{HtmlPage.Encode(firstName)}</span> <span id=\"lastName\">{HtmlPage.Encode(lastName)}</span></strong>.</p>\n";
        return HtmlPage.Render("About you", instance, body);
    }
}
