from django.urls import path

from civicgrid.cases.views import actions, detail, hotline, queues, report, resident, sheet

app_name = "cases"

urlpatterns = [
    path("", queues.case_list, name="list"),
    path("report/", report.report, name="report"),
    path("mine/", queues.my_reports, name="mine"),
    path("verify/", queues.verify_queue, name="verify"),
    path("department/", queues.department_queue, name="department"),
    path("supervision/", queues.supervision, name="supervision"),
    path("follow/", resident.follow, name="follow"),
    path("hotline/", hotline.record_call, name="hotline"),
    path("lookup/", hotline.lookup, name="lookup"),
    path("photos/<int:pk>/", detail.case_photo, name="photo"),
    path("<int:pk>/", detail.case_detail, name="detail"),
    path("<int:pk>/sheet.pdf", sheet.case_sheet, name="sheet"),
    path("<int:pk>/act/<str:action>/", actions.case_action, name="act"),
]
