using DurableMigration.Manifest;
using static DurableMigration.Core.Tests.Manifest.ManifestSamples;

namespace DurableMigration.Core.Tests.Manifest;

public sealed class DependencyGraphTests
{
    [Fact]
    public void TopologicalOrder_PutsDependenciesFirst()
    {
        DatabaseSpec[] databases = [Spec("orders", 0, "users"), Spec("users"), Spec("invoices", 0, "orders", "users")];

        Assert.Equal(["users", "orders", "invoices"], DependencyGraph.TopologicalOrder(databases));
    }

    [Fact]
    public void TopologicalOrder_AmongReadyDatabases_PutsHigherPriorityFirst()
    {
        DatabaseSpec[] databases = [Spec("low", 1), Spec("high", 5), Spec("middle", 3)];

        Assert.Equal(["high", "middle", "low"], DependencyGraph.TopologicalOrder(databases));
    }

    [Fact]
    public void TopologicalOrder_AmongEqualPriorities_KeepsManifestOrder()
    {
        DatabaseSpec[] databases = [Spec("c"), Spec("a"), Spec("b")];

        Assert.Equal(["c", "a", "b"], DependencyGraph.TopologicalOrder(databases));
    }

    [Fact]
    public void TopologicalOrder_PriorityNeverOvertakesADependency()
    {
        DatabaseSpec[] databases = [Spec("base", 0), Spec("urgent", 100, "base"), Spec("other", 50)];

        Assert.Equal(["other", "base", "urgent"], DependencyGraph.TopologicalOrder(databases));
    }

    [Fact]
    public void TopologicalOrder_MatchesDependencyNamesIgnoringCase()
    {
        DatabaseSpec[] databases = [Spec("orders", 0, "USERS"), Spec("Users")];

        Assert.Equal(["Users", "orders"], DependencyGraph.TopologicalOrder(databases));
    }

    [Fact]
    public void TopologicalOrder_WithACycle_Throws()
    {
        DatabaseSpec[] databases = [Spec("a", 0, "b"), Spec("b", 0, "a")];

        var exception = Assert.Throws<InvalidOperationException>(() => DependencyGraph.TopologicalOrder(databases));

        Assert.Contains("a -> b -> a", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TopologicalOrder_WithAnUnknownDependency_Throws()
    {
        DatabaseSpec[] databases = [Spec("a", 0, "ghost")];

        Assert.Throws<ArgumentException>(() => DependencyGraph.TopologicalOrder(databases));
    }

    [Fact]
    public void FindCycle_WithoutCycle_ReturnsNull()
    {
        DatabaseSpec[] databases = [Spec("a", 0, "b"), Spec("b", 0, "c"), Spec("c")];

        Assert.Null(DependencyGraph.FindCycle(databases));
    }

    [Fact]
    public void FindCycle_ReturnsTheCycleStartingWithItsFirstMemberInManifestOrder()
    {
        DatabaseSpec[] databases = [Spec("x"), Spec("c", 0, "a"), Spec("a", 0, "b"), Spec("b", 0, "c")];

        Assert.Equal(["c", "a", "b", "c"], DependencyGraph.FindCycle(databases));
    }

    [Fact]
    public void FindCycle_SelfDependency_IsACycleOfOne()
    {
        Assert.Equal(["a", "a"], DependencyGraph.FindCycle([Spec("a", 0, "a")]));
    }
}
