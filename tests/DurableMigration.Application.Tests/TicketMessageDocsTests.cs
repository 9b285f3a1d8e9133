using System.Text.RegularExpressions;
using DurableMigration.Application.Tickets;

namespace DurableMigration.Application.Tests;

/// <summary>The example messages of docs/tickets.md are messages the intake reads.</summary>
public sealed partial class TicketMessageDocsTests
{
    public static TheoryData<string> Examples()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "tickets.md"));
        var examples = new TheoryData<string>();
        foreach (Match block in JsonBlock().Matches(docs))
        {
            string text = block.Groups[1].Value.Trim();
            // A block of one-line messages holds one message a line.
            foreach (string message in text.StartsWith("{ ", StringComparison.Ordinal) ? text.Split('\n') : [text])
            {
                examples.Add(message);
            }
        }

        return examples;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void DocumentedExample_IsAValidTicketMessage(string message)
    {
        bool parsed = TicketRequest.TryParse(message, out _, out var errors);

        Assert.True(parsed, string.Join("; ", errors));
    }

    [Fact]
    public void Docs_ShowAnExampleOfEveryAction()
    {
        var actions = ((IEnumerable<object[]>)Examples()).Select(e => TicketRequest.TryParse((string)e[0], out var request, out _) ? request!.Action : (TicketAction?)null).ToList();

        Assert.Equal(Enum.GetValues<TicketAction>().Order(), actions.OfType<TicketAction>().Distinct().Order());
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DurableMigration.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no repository root");
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
