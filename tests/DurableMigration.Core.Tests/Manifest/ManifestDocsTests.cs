using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using DurableMigration.Manifest;

namespace DurableMigration.Core.Tests.Manifest;

/// <summary>Keeps <c>docs/manifest.md</c> honest: its examples must read, and read alike.</summary>
public sealed partial class ManifestDocsTests
{
    [Fact]
    public void DocsExamples_JsonAndYaml_ParseToTheSameManifest()
    {
        var docs = File.ReadAllText(DocsPath());
        var json = CodeBlock(docs, "json");
        var yaml = CodeBlock(docs, "yaml");

        var fromJson = WaveManifestReader.Parse(json, "wave.json");
        var fromYaml = WaveManifestReader.Parse(yaml, "wave.yaml");

        Assert.Equal(fromJson with { Databases = [] }, fromYaml with { Databases = [] });
        Assert.Equal(fromJson.Databases.Select(Describe), fromYaml.Databases.Select(Describe));
    }

    private static string Describe(DatabaseSpec d) =>
        $"{d.Name}|{d.Source}|{d.Target}|{string.Join(",", d.DependsOn)}|{d.Priority}|"
        + $"{(d.Tables is null ? "all" : string.Join(",", d.Tables.Include) + "/" + string.Join(",", d.Tables.Exclude))}|{d.Validation}";

    private static string CodeBlock(string markdown, string language) =>
        CodeBlocks().Matches(markdown).First(m => m.Groups["lang"].Value == language).Groups["body"].Value;

    private static string DocsPath([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "docs", "manifest.md"));

    [GeneratedRegex(@"```(?<lang>\w+)\r?\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlocks();
}
