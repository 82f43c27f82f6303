package dev.weft.internal.event;

import jdk.jfr.*;

/** A memory plan was committed on a budget: its components' bytes are reserved until the commitment closes. */
@Name("dev.weft.PlanCommitted")
@Label("Plan Committed")
@Category("dev.weft")
@Description("A Weft memory plan was committed on a budget")
@StackTrace(false)
public final class PlanCommittedEvent extends Event {
    @Label("Budget") public String budget;
    @Label("Components") public int components;
    @Label("Planned") @DataAmount public long planned;
    @Label("Available") @DataAmount @Description("What the budget had free before the commit") public long available;
}
