package dev.weft;

import static dev.weft.Json.arr;
import static dev.weft.Json.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.memory.MemoryBudget;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The JSON dump, parsed as a tool would: the JDK's thread-dump shape plus Weft's fields, folded. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
class TaskTreeDumpTest {

    private static List<Map<String, Object>> containers(String json) {
        Map<String, Object> dump = obj(obj(Json.parse(json)).get("threadDump"));
        assertThat(dump).containsKeys("processId", "time", "runtimeVersion", "threadContainers");
        assertThat(dump.get("processId")).isEqualTo(Long.toString(ProcessHandle.current().pid()));
        return arr(dump.get("threadContainers")).stream().map(Json::obj).toList();
    }

    private static Map<String, Object> container(List<Map<String, Object>> all, String prefix) {
        return all.stream().filter(c -> ((String) c.get("container")).startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no container " + prefix + " in "
                        + all.stream().map(c -> c.get("container")).toList()));
    }

    private static List<Map<String, Object>> threads(Map<String, Object> container) {
        return arr(container.get("threads")).stream().map(Json::obj).toList();
    }

    /**
     * Spawns {@code n} workers that each announce themselves and then wait on {@code go}; returns when every one is
     * parked in {@code go.receive()} (one loop: a worker's announcement queues the root behind it, and the worker
     * parks before the root runs again).
     */
    private static void spawnWaitingWorkers(TaskScope scope, String name, int n, Channel<Integer> go) {
        Channel<Integer> arrived = Channel.create(n);
        for (int i = 0; i < n; i++) {
            scope.spawn(name, () -> {
                arrived.send(1);
                return go.receive();
            });
        }
        for (int i = 0; i < n; i++) {
            arrived.receive();
        }
    }

    @Test
    void theJsonDumpHasTheJdkThreadDumpShapeWithWeftsTasksScopesDeadlinesAndFolding() {
        VirtualClock clock = VirtualClock.create();
        String json = Weft.run(Weft.options().loops(1).clock(clock).handleSigint(false).name("dumped"), () -> {
            Channel<Integer> go = Channel.create(1000);
            return TaskScope.run(scope -> {
                scope.cancelScope().name("workers");
                spawnWaitingWorkers(scope, "worker", 100, go);
                scope.spawn("deadlined", () -> CancelScope.withTimeout(Duration.ofSeconds(5)).name("five-seconds")
                        .call(go::receive));
                spawnWaitingWorkers(scope, "straggler", 1, go);
                String dump = Weft.dumpJson();
                for (int i = 0; i < 102; i++) {
                    go.send(i); // lets every task end
                }
                return dump;
            });
        });
        List<Map<String, Object>> all = containers(json);
        Map<String, Object> rt = container(all, "weft/dumped");
        assertThat(rt.get("parent")).isEqualTo("<root>");
        assertThat(rt.get("threadCount")).isEqualTo("1");
        Map<String, Object> main = threads(rt).getFirst();
        assertThat(main.get("name")).isEqualTo("main");
        assertThat(main.get("virtual")).isEqualTo(true);
        assertThat(obj(main.get("weft")).get("loop")).isEqualTo("dumped-loop-0");
        assertThat(arr(obj(rt.get("weft")).get("loops"))).hasSize(1);

        Map<String, Object> workers = container(all, "weft/task-scope/workers");
        assertThat(workers.get("parent")).isEqualTo(rt.get("container"));
        assertThat(workers.get("owner")).as("the task that opened the scope").isEqualTo(main.get("tid"));
        assertThat(workers.get("threadCount")).as("every task counts, folded or not").isEqualTo("102");
        List<Map<String, Object>> entries = threads(workers);
        assertThat(entries).as("100 identical workers written once, the other two apart").hasSize(3);
        Map<String, Object> folded = entries.stream().filter(t -> t.get("name").equals("worker")).findFirst()
                .orElseThrow();
        Map<String, Object> fw = obj(folded.get("weft"));
        assertThat(fw.get("count")).isEqualTo(100L);
        assertThat(fw.get("taskState")).isEqualTo("RUNNING");
        assertThat(fw.get("cancelState")).isEqualTo("ENTERED");
        assertThat(arr(folded.get("stack"))).as("where it waits").anyMatch(f -> ((String) f).contains("Channel.receive"));
        assertThat((String) fw.get("waitingAt")).contains("TaskTreeDumpTest");
        assertThat(entries).filteredOn(t -> t.get("name").equals("straggler"))
                .singleElement().satisfies(t -> assertThat(obj(t.get("weft"))).doesNotContainKey("count"));

        Map<String, Object> deadline = container(all, "weft/cancel-scope/five-seconds");
        Map<String, Object> dw = obj(deadline.get("weft"));
        assertThat(dw.get("deadlineInNs")).as("on the virtual clock, not advanced").isEqualTo(5_000_000_000L);
        assertThat(dw.get("hasDeadline")).isEqualTo(true);
        assertThat(dw.get("shield")).isEqualTo(false);
        String deadlinedTid = (String) entries.stream().filter(t -> t.get("name").equals("deadlined")).findFirst()
                .orElseThrow().get("tid");
        assertThat(deadline.get("owner")).isEqualTo(deadlinedTid);
        assertThat(deadline.get("parent")).isEqualTo(workers.get("container"));
    }

    @Test
    void aCancelledScopeShowsItsReasonAndAShieldInsideItShowsTheShield() {
        String json = Runs.oneLoop(() -> {
            Channel<Integer> go = Channel.create(1);
            Channel<Integer> inShield = Channel.create(1);
            return TaskScope.run(scope -> {
                scope.spawn("cleaner", () -> {
                    CancelScope doomed = CancelScope.create().name("doomed");
                    doomed.run(() -> {
                        doomed.cancel();
                        CancelScope.create().name("cleanup").shield(true).run(() -> {
                            inShield.send(1);
                            go.receive();
                        });
                    });
                    return null;
                });
                inShield.receive();
                String dump = Weft.dumpJson();
                go.send(1);
                return dump;
            });
        });
        List<Map<String, Object>> all = containers(json);
        Map<String, Object> doomed = container(all, "weft/cancel-scope/doomed");
        Map<String, Object> dw = obj(doomed.get("weft"));
        assertThat(dw.get("cancelState")).isEqualTo("CANCELLED");
        assertThat(dw.get("reason")).isEqualTo("EXPLICIT");
        Map<String, Object> cleanup = container(all, "weft/cancel-scope/cleanup");
        assertThat(obj(cleanup.get("weft")).get("shield")).isEqualTo(true);
        assertThat(cleanup.get("parent")).isEqualTo(doomed.get("container"));
        Map<String, Object> cleaner = all.stream().flatMap(c -> threads(c).stream())
                .filter(t -> t.get("name").equals("cleaner")).findFirst().orElseThrow();
        assertThat(obj(cleaner.get("weft"))).as("the shield hides the cancel from the code inside")
                .doesNotContainKey("cancelled");
    }

    @Test
    void aTaskShowsTheBudgetItRunsUnder() {
        MemoryBudget requests = MemoryBudget.root().child("requests", 1 << 20, 1 << 17);
        String json = Runs.oneLoop(() -> {
            Channel<Integer> go = Channel.create(1);
            Channel<Integer> bound = Channel.create(1);
            return TaskScope.run(scope -> {
                scope.spawn("handler", () -> {
                    try (var b = requests.bind(); var r = requests.reserve(4096)) {
                        bound.send(1);
                        return go.receive();
                    }
                });
                bound.receive();
                String dump = Weft.dumpJson();
                go.send(1);
                return dump;
            });
        });
        Map<String, Object> handler = containers(json).stream().flatMap(c -> threads(c).stream())
                .filter(t -> t.get("name").equals("handler")).findFirst().orElseThrow();
        Map<String, Object> budget = obj(obj(handler.get("weft")).get("budget"));
        assertThat(budget.get("name")).isEqualTo("requests");
        assertThat(budget.get("limitBytesSoft")).isEqualTo(1L << 20);
        assertThat(budget.get("graceBytes")).isEqualTo(1L << 17);
        assertThat((Long) budget.get("usedBytes")).isGreaterThanOrEqualTo(4096L);
    }

    @Test
    void tenThousandIdenticalSubtreesFoldIntoOneEntryWithTheirCount() {
        String json = Runs.oneLoop(() -> {
            Channel<Integer> go = Channel.create(10_000);
            {
                return TaskScope.run(scope -> {
                    scope.cancelScope().name("pool");
                    Channel<Integer> arrived = Channel.create(10_000);
                    for (int i = 0; i < 10_000; i++) {
                        scope.spawn("parent", () -> TaskScope.run(inner -> {
                            inner.cancelScope().name("inner");
                            inner.spawn("leaf", () -> {
                                arrived.send(1);
                                return go.receive();
                            });
                            return null;
                        }));
                    }
                    for (int i = 0; i < 10_000; i++) {
                        arrived.receive();
                    }
                    String dump = Weft.dumpJson();
                    for (int i = 0; i < 10_000; i++) {
                        go.send(i); // lets every task end
                    }
                    return dump;
                });
            }
        });
        List<Map<String, Object>> all = containers(json);
        Map<String, Object> pool = container(all, "weft/task-scope/pool");
        assertThat(pool.get("threadCount")).isEqualTo("10000");
        assertThat(threads(pool)).singleElement()
                .satisfies(t -> assertThat(obj(t.get("weft")).get("count")).isEqualTo(10_000L));
        assertThat(all.stream().filter(c -> ((String) c.get("container")).startsWith("weft/task-scope/inner")))
                .as("the folded subtree is written once").hasSize(1);
        assertThat(json.length()).as("a folded dump stays small").isLessThan(20_000);
    }
    /**
     * A small tree, dumped in both forms: three workers with identical subtrees (a scope with two identical leaves),
     * a fourth worker with one leaf, and a task of its own. Both forms fold exactly the identical siblings, with their
     * counts, and write the distinct ones apart.
     */
    @Test
    void theTextAndJsonDumpsFoldIdenticalSiblingSubtreesWithTheirCountAndKeepDistinctOnesApart() {
        String[] dumps = Runs.oneLoop(() -> {
            Channel<Integer> go = Channel.create(16);
            Channel<Integer> arrived = Channel.create(16);
            return TaskScope.run(scope -> {
                scope.cancelScope().name("pool");
                for (int w = 0; w < 4; w++) {
                    int leaves = w < 3 ? 2 : 1;
                    scope.spawn("worker", () -> TaskScope.run(inner -> {
                        inner.cancelScope().name("inner");
                        for (int i = 0; i < leaves; i++) {
                            inner.spawn("leaf", () -> {
                                arrived.send(1);
                                return go.receive();
                            });
                        }
                        return null;
                    }));
                }
                scope.spawn("loner", () -> {
                    arrived.send(1);
                    return go.receive();
                });
                for (int i = 0; i < 3 * 2 + 1 + 1; i++) {
                    arrived.receive();
                }
                String[] both = {Weft.dump(), Weft.dumpJson()};
                for (int i = 0; i < 8; i++) {
                    go.send(i);
                }
                return both;
            });
        });
        List<String> lines = dumps[0].lines().toList();
        assertThat(lines).filteredOn(l -> l.contains("task 'worker'")).as(dumps[0]).hasSize(2)
                .satisfiesExactly(
                        l -> assertThat(l).startsWith("    task 'worker' RUNNING").endsWith(" [x3]"),
                        l -> assertThat(l).doesNotContain("[x"));
        assertThat(lines).filteredOn(l -> l.contains("task-scope 'inner'")).as(dumps[0]).hasSize(2)
                .allSatisfy(l -> assertThat(l).doesNotContain("[x"));
        assertThat(lines).filteredOn(l -> l.contains("task 'leaf'")).as(dumps[0]).hasSize(2)
                .satisfiesExactly(
                        l -> assertThat(l).contains("thread=WAITING at ").endsWith(" [x2]"),
                        l -> assertThat(l).doesNotContain("[x"));
        int folded = lines.indexOf(lines.stream().filter(l -> l.endsWith("[x3]")).findFirst().orElseThrow());
        assertThat(lines.get(folded + 1)).as("the folded subtree below its entry").contains("task-scope 'inner'");
        assertThat(lines.get(folded + 2)).as(dumps[0]).contains("task 'leaf'").endsWith(" [x2]");
        assertThat(lines).filteredOn(l -> l.contains("task 'loner'")).singleElement()
                .satisfies(l -> assertThat(l).doesNotContain("[x"));

        List<Map<String, Object>> all = containers(dumps[1]);
        Map<String, Object> pool = container(all, "weft/task-scope/pool");
        assertThat(pool.get("threadCount")).isEqualTo("5");
        List<Map<String, Object>> workers = threads(pool).stream().filter(t -> t.get("name").equals("worker")).toList();
        assertThat(workers).extracting(t -> obj(t.get("weft")).get("count")).as(dumps[1]).containsExactly(3L, null);
        assertThat(threads(pool)).filteredOn(t -> t.get("name").equals("loner")).singleElement()
                .satisfies(t -> assertThat(obj(t.get("weft"))).doesNotContainKey("count"));
        List<Map<String, Object>> inners = all.stream()
                .filter(c -> ((String) c.get("container")).startsWith("weft/task-scope/inner")).toList();
        assertThat(inners).as("one container per written worker").hasSize(2);
        assertThat(inners.get(0).get("owner")).isEqualTo(workers.get(0).get("tid"));
        assertThat(inners.get(0).get("threadCount")).isEqualTo("2");
        assertThat(threads(inners.get(0))).singleElement()
                .satisfies(t -> assertThat(obj(t.get("weft")).get("count")).isEqualTo(2L));
        assertThat(inners.get(1).get("owner")).isEqualTo(workers.get(1).get("tid"));
        assertThat(inners.get(1).get("threadCount")).isEqualTo("1");
        assertThat(threads(inners.get(1))).singleElement()
                .satisfies(t -> assertThat(obj(t.get("weft"))).doesNotContainKey("count"));
    }
}
