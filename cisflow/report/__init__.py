"""The lab-meeting page: ``report`` (the report rule) renders ``template.html``."""
