using SynergAI.Grains.Coordination;

namespace SynergAI.Grains.Tests;

/// <summary>How long a worker waits before it declares its running attempt lost: the short grace only when the run's
/// silo is surely gone, else the whole heartbeat timeout (by when the run has stopped itself).</summary>
public class LostAttemptTests
{
    static readonly SynergAiOptions Options = new() { HeartbeatInterval = TimeSpan.FromSeconds(1), HeartbeatTimeout = TimeSpan.FromSeconds(10) };
    const string Here = "S10.0.0.1:11111:1", Dead = "S10.0.0.2:11111:1", Alive = "S10.0.0.3:11111:1";
    static bool IsDead(string silo) => silo == Dead;

    [Fact]
    public void A_restored_attempt_whose_silo_is_dead_or_this_one_is_lost_after_a_few_heartbeat_intervals()
    {
        Assert.Equal((TimeSpan.FromSeconds(3), true), LostAttempt.Patience(restored: true, Dead, Here, IsDead, Options));
        Assert.Equal((TimeSpan.FromSeconds(3), true), LostAttempt.Patience(restored: true, Here, Here, IsDead, Options));
    }

    [Fact]
    public void A_restored_attempt_whose_silo_lives_or_is_unknown_waits_the_whole_timeout_the_run_may_still_be_going()
    {
        Assert.Equal((TimeSpan.FromSeconds(10), false), LostAttempt.Patience(restored: true, Alive, Here, IsDead, Options));
        Assert.Equal((TimeSpan.FromSeconds(10), false), LostAttempt.Patience(restored: true, runSilo: null, Here, IsDead, Options));
    }

    [Fact]
    public void An_attempt_that_heartbeated_this_activation_waits_the_whole_timeout_wherever_it_was_started()
    {
        Assert.Equal((TimeSpan.FromSeconds(10), false), LostAttempt.Patience(restored: false, Dead, Here, IsDead, Options));
        Assert.True(Options.RunLease < Options.HeartbeatTimeout - Options.HeartbeatInterval); // the run stops first, with room to spare
    }
}
