using Orleans.Runtime;

namespace SynergAI.Persistence.Tests;

[GenerateSerializer, Alias("synergai.tests.ProbeState")]
public sealed class ProbeState
{
    [Id(0)] public string Value { get; set; } = "";
    [Id(1)] public int Writes { get; set; }
}

[GenerateSerializer, Alias("synergai.tests.OtherProbeState")]
public sealed class OtherProbeState
{
    [Id(0)] public List<string> Items { get; set; } = [];
}

[GenerateSerializer, Alias("synergai.tests.ProbeView")]
public sealed record ProbeView([property: Id(0)] string Value, [property: Id(1)] int Writes, [property: Id(2)] string? ETag,
    [property: Id(3)] bool RecordExists);

[Alias("synergai.tests.IProbeGrain")]
public interface IProbeGrain : IGrainWithStringKey
{
    Task<ProbeView> Write(string value);
    /// <summary>Reads the state again from storage (not the activation's copy).</summary>
    Task<ProbeView> Reload();
    Task<ProbeView> Clear();
    Task Deactivate();
}

[Alias("synergai.tests.IOtherProbeGrain")]
public interface IOtherProbeGrain : IGrainWithStringKey
{
    Task<IReadOnlyList<string>> Add(string item);
    Task<IReadOnlyList<string>> Reload();
}

[Alias("synergai.tests.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task Register(string name, TimeSpan dueTime, TimeSpan period);
    Task<bool> Has(string name);
    Task<IReadOnlyList<string>> All();
    Task Unregister(string name);
    Task<int> Ticks();
}

/// <summary>State name "probe".</summary>
public sealed class ProbeGrain([PersistentState("probe", PersistenceFixture.Storage)] IPersistentState<ProbeState> state) : Grain, IProbeGrain
{
    public async Task<ProbeView> Write(string value)
    {
        state.State.Value = value;
        state.State.Writes++;
        await state.WriteStateAsync();
        return View();
    }

    public async Task<ProbeView> Reload()
    {
        await state.ReadStateAsync();
        return View();
    }

    public async Task<ProbeView> Clear()
    {
        await state.ClearStateAsync();
        return View();
    }

    public Task Deactivate()
    {
        this.DeactivateOnIdle();
        return Task.CompletedTask;
    }

    ProbeView View() => new(state.State.Value, state.State.Writes, state.Etag, state.RecordExists);
}

/// <summary>A different grain class with the same kind of key but its own state name, "other-probe".</summary>
public sealed class OtherProbeGrain([PersistentState("other-probe", PersistenceFixture.Storage)] IPersistentState<OtherProbeState> state)
    : Grain, IOtherProbeGrain
{
    public async Task<IReadOnlyList<string>> Add(string item)
    {
        state.State.Items.Add(item);
        await state.WriteStateAsync();
        return state.State.Items;
    }

    public async Task<IReadOnlyList<string>> Reload()
    {
        await state.ReadStateAsync();
        return state.State.Items;
    }
}

public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    int _ticks;

    public async Task Register(string name, TimeSpan dueTime, TimeSpan period) => await this.RegisterOrUpdateReminder(name, dueTime, period);

    public async Task<bool> Has(string name) => await this.GetReminder(name) is not null;

    public async Task<IReadOnlyList<string>> All() => [.. (await this.GetReminders()).Select(r => r.ReminderName).Order()];

    public async Task Unregister(string name)
    {
        if (await this.GetReminder(name) is { } reminder) await this.UnregisterReminder(reminder);
    }

    public Task<int> Ticks() => Task.FromResult(_ticks);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _ticks++;
        return Task.CompletedTask;
    }
}
