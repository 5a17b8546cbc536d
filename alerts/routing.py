"""Alertmanager routing: pages at once, warnings in business hours, info never; inhibitions."""

from __future__ import annotations

from alerts._shared import EVERY_POD, NO_READY_ENDPOINT, ONE_POD, PODS_LABEL
from monitoring_as_code.model import BUSINESS_HOURS, KUBERNETES, Inhibition, Route
from monitoring_as_code.settings import Settings


def define(settings: Settings) -> list[object]:
    am = settings.alertmanager
    # On a cluster an inhibition holds within one namespace: one RAT's outage mutes nothing of another's.
    # (The kubernetes output also scopes every route and inhibition here to RAT's namespace.)
    same_rat = ["namespace"] if settings.platform == KUBERNETES else []
    cluster = settings.platform == KUBERNETES
    return [
        # First match wins: the Watchdog (severity info) must not fall into the silent info route.
        Route(
            "watchdog",
            ['alertname="Watchdog"'],
            am.route_to["watchdog"],
            group_wait=0,
            # A repeat only goes out at a group_interval tick: both set the heartbeat's pace.
            group_interval=am.watchdog_repeat_interval,
            repeat_interval=am.watchdog_repeat_interval,
            # On a cluster no RAT alert is the Watchdog: the stack's own (no namespace) feeds the
            # dead-man's switch, proving the Prometheus and Alertmanager RAT's alerts go through.
            cluster_wide=True,
        ),
        # One page per broken service: grouped by service alone, a ratd outage's RatApiDown and the
        # SLO burn alerts it sets off (both service="ratd") are one notification group, so one
        # incident (PagerDuty's dedup key is the group's); later alerts update it, never page anew.
        Route(
            "critical",
            ['severity="critical"'],
            am.route_to["critical"],
            group_wait=am.page_group_wait,
            group_by=["service"],
        ),
        Route("warning", ['severity="warning"'], am.route_to["warning"], active_time_intervals=[BUSINESS_HOURS]),
        Route("info", ['severity="info"'], None),
        # With ratd down, /health cannot report its subsystems: only RatApiDown should speak.
        Inhibition("api-down", ['alertname="RatApiDown"'], ['depends_on="ratd"'], same_rat),
        # A down service's warnings are noise; but an SLO page is a symptom (the budget burns), and
        # the warnings of its service name the cause, so it holds back only its own SLO's ticket.
        Inhibition(
            "critical-over-warning", ['severity="critical"', 'slo=""'], ['severity="warning"'], [*same_rat, "service"]
        ),
        # An SLO's fast burn holds back its slow one, whether the fast burn pages or not.
        Inhibition("slo-fast-over-slow", ['burn="fast"'], ['burn="slow"'], [*same_rat, "slo"]),
        *(
            [
                # A check every ratd pod fails is one alert, not one per pod as well.
                Inhibition(
                    "every-pod-over-one-pod",
                    [f'{PODS_LABEL}="{EVERY_POD[PODS_LABEL]}"'],
                    [f'{PODS_LABEL}="{ONE_POD[PODS_LABEL]}"'],
                    [*same_rat, "check"],
                ),
                # A dependency every pod reports down fails ratd's readiness on every pod, which
                # empties the Service: the dependency's page names the cause.
                Inhibition(
                    "dependency-over-empty-service",
                    [f'{PODS_LABEL}="{EVERY_POD[PODS_LABEL]}"', 'severity="critical"'],
                    [f'alertname="{NO_READY_ENDPOINT}"'],
                    same_rat,
                ),
            ]
            if cluster
            else []
        ),
    ]
