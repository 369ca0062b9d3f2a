"""Quality inspection (质检): rules applied to transcribed calls, the QA work list and scoring."""
