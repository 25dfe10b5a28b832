"""Report reads: salesReport, reconciliation, allianceTotals."""

import graphene


class ReportQueries(graphene.ObjectType):
    pass
