package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.internal.jmx.WeftMBeans;
import dev.weft.memory.MemoryBudget;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Statistics records, the error handler, and the MBeans read through the platform MBean server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RuntimeStatisticsTest {

    @Test
    void statisticsCountSpawnsLiveTasksAndCancellationsByReason() {
        VirtualClock clock = VirtualClock.create();
        RuntimeStatistics[] during = new RuntimeStatistics[1];
        RuntimeStatistics after = Weft.run(Weft.options().loops(1).clock(clock).handleSigint(false).name("counted"),
                () -> {
                    Channel<Integer> go = Channel.create(3);
                    Channel<Integer> waiting = Channel.create(3);
                    TaskScope.run(scope -> {
                        for (int i = 0; i < 3; i++) {
                            scope.spawn("waiter", () -> {
                                waiting.send(1);
                                return go.receive();
                            });
                        }
                        Task<Object> doomed = scope.spawn("doomed", () -> {
                            Weft.sleep(Duration.ofHours(1));
                            return null;
                        });
                        for (int i = 0; i < 3; i++) {
                            waiting.receive();
                        }
                        during[0] = Weft.statistics();
                        doomed.cancel();
                        for (int i = 0; i < 3; i++) {
                            go.send(i);
                        }
                        return null;
                    });
                    CancelScope.withTimeout(Duration.ofSeconds(1)).run(() -> clock.advance(Duration.ofSeconds(2)));
                    return Weft.statistics();
                });
        assertThat(during[0].name()).isEqualTo("counted");
        assertThat(during[0].loops()).isEqualTo(1);
        assertThat(during[0].tasksLive()).as("main, three waiters, doomed").isEqualTo(5);
        assertThat(during[0].tasksSpawned()).isEqualTo(5);
        assertThat(after.tasksLive()).as("main only").isEqualTo(1);
        assertThat(after.cancellations()).containsEntry(CancelReason.EXPLICIT, 1L)
                .containsEntry(CancelReason.DEADLINE, 1L).containsEntry(CancelReason.MEMORY, 0L)
                .containsOnlyKeys(CancelReason.values());
        assertThat(after.internalErrors()).isZero();
        assertThat(after.lateHandovers()).isZero();
        assertThatThrownBy(() -> after.cancellations().put(CancelReason.EXPLICIT, 9L))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void theRuntimesOwnFailuresGoToTheErrorHandlerAndAreCounted() {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        long errors = Weft.run(Weft.options().loops(1).handleSigint(false)
                .errorHandler((where, e) -> seen.add(where + ": " + e.getMessage())), () -> {
            TaskScope.supervise(scope -> {
                scope.spawn("fails", () -> {
                    throw new IllegalStateException("child failed");
                });
                return null;
            }, (task, failure) -> {
                throw new IllegalArgumentException("the handler itself failed");
            });
            return Weft.statistics().internalErrors();
        });
        assertThat(errors).isEqualTo(1);
        assertThat(seen).singleElement().asString().contains("failure handler").contains("the handler itself failed");
    }

    @Test
    void theRuntimeAndRootBudgetMBeansAreReadableThroughThePlatformMBeanServerAndGoWithTheRuntime() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.weft:type=Runtime,name=\"watched\"");
        ObjectName root = new ObjectName("dev.weft:type=Budget,name=\"root\"");
        MemoryBudget.root(); // memory in use: its MBeans are a source too
        Object[] read = Weft.run(Weft.options().loops(2).handleSigint(false).name("watched"), () -> {
            List<String> registered = WeftMBeans.registerAll();
            CancelScope s = CancelScope.create();
            s.run(s::cancel);
            return new Object[] {registered, server.getAttribute(name, "TasksLive"),
                    server.getAttribute(name, "Loops"), server.getAttribute(name, "Cancellations"),
                    server.invoke(name, "dumpJson", null, null), server.getAttribute(root, "LimitBytesSoft")};
        });
        @SuppressWarnings("unchecked")
        List<String> registered = (List<String>) read[0];
        assertThat(registered).contains(name.toString(), root.toString());
        assertThat(read[1]).isEqualTo(1L);
        assertThat(read[2]).isEqualTo(2);
        TabularData byReason = (TabularData) read[3];
        CompositeData explicit = byReason.get(new Object[] {"EXPLICIT"});
        assertThat(explicit.get("value")).isEqualTo(1L);
        assertThat((String) read[4]).startsWith("{\"threadDump\":").contains("\"weft/watched\"");
        assertThat((Long) read[5]).isEqualTo(MemoryBudget.root().limitBytesSoft());
        assertThat(server.isRegistered(name)).as("unregistered as the runtime ends").isFalse();
        assertThat(server.isRegistered(root)).isTrue();
    }
}
